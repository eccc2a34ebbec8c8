// Package oracle tells whether firmaflow's view of a signing process is the
// truth. It compares a process's final state (the state query) and result
// with the simulator's ledger of what really happened at the provider
// (simkit.ProcessLedger): status, reason, each signer, rejected_by, every
// document's sha256 and size, and the calls firmaflow made. A difference is
// reported field by field, readable in a test failure.
package oracle

import (
	"fmt"
	"sort"
	"strings"

	"github.com/firmaflow/firmaflow/signing"
	"github.com/firmaflow/firmaflow/simulators/simkit"
)

// Diff is one field where firmaflow and the ledger disagree.
type Diff struct {
	Field string
	Got   string // firmaflow's
	Want  string // the ledger's
}

func (d Diff) String() string { return fmt.Sprintf("%s: got %s, want %s", d.Field, d.Got, d.Want) }

// Diffs format one per line.
type Diffs []Diff

func (ds Diffs) String() string {
	lines := make([]string, len(ds))
	for i, d := range ds {
		lines[i] = "  " + d.String()
	}
	return strings.Join(lines, "\n")
}

// WantStatus is the status a process must end with, given the ledger.
// A process firmaflow withdrew ends cancelled, or delivery_failed when a
// signer's delivery failure was left unresolved (firmaflow gave up).
func WantStatus(led simkit.ProcessLedger) (signing.Status, bool) {
	switch led.Outcome {
	case simkit.OutcomeCompleted:
		return signing.StatusCompleted, true
	case simkit.OutcomeRejected:
		return signing.StatusRejected, true
	case simkit.OutcomeCancelled:
		return signing.StatusCancelled, true
	case simkit.OutcomeExpired:
		return signing.StatusExpired, true
	case simkit.OutcomeWithdrawn:
		for _, s := range led.Signers {
			if s.Status == simkit.SignerDeliveryFailed {
				return signing.StatusDeliveryFailed, true
			}
		}
		return signing.StatusCancelled, true
	}
	return "", false // still open at the provider: no final status is right
}

// Compare returns every difference between a process's final state and
// result and its provider process's ledger. Nothing is inferred from
// firmaflow's own log: the ledger alone says what is true.
func Compare(st signing.State, res signing.Result, led simkit.ProcessLedger) Diffs {
	var ds Diffs
	add := func(field string, got, want any) {
		ds = append(ds, Diff{Field: field, Got: fmt.Sprint(got), Want: fmt.Sprint(want)})
	}
	if st.ProviderRef != led.Ref {
		add("state.provider_ref", q(st.ProviderRef), q(led.Ref))
	}
	if res.ProviderRef != led.Ref {
		add("result.provider_ref", q(res.ProviderRef), q(led.Ref))
	}
	// The result and the state must tell the same story.
	if res.Status != st.Status {
		add("result.status", res.Status, fmt.Sprintf("%s (the state's)", st.Status))
	}
	if res.Reason != st.Reason {
		add("result.reason", q(res.Reason), q(st.Reason)+" (the state's)")
	}
	if ref(res.RejectedBy) != ref(st.RejectedBy) {
		add("result.rejected_by", ref(res.RejectedBy), ref(st.RejectedBy)+" (the state's)")
	}
	if res.Resends != st.Resends || res.Renewals != st.Renewals {
		add("result.resends/renewals", fmt.Sprintf("%d/%d", res.Resends, res.Renewals), fmt.Sprintf("%d/%d (the state's)", st.Resends, st.Renewals))
	}

	want, final := WantStatus(led)
	switch {
	case !final:
		add("status", st.Status, "the provider process ended (it is still open at "+led.Provider+": signers can still act on it)")
	case st.Status != want:
		add("status", st.Status, fmt.Sprintf("%s (provider outcome %s)", want, led.Outcome))
	}
	ds = append(ds, compareReason(st, led)...)

	var rejecter string
	for _, s := range led.Signers {
		if s.Status == simkit.SignerRejected {
			rejecter = strings.ToLower(s.Email)
		}
	}
	if got := strings.ToLower(refEmail(st.RejectedBy)); got != rejecter {
		add("rejected_by", orNone(got), orNone(rejecter))
	}
	ds = append(ds, compareSigners(st.Signers, led.Signers)...)

	if st.Resends != led.CallCount(simkit.CallResend) {
		add("resends", st.Resends, fmt.Sprintf("%d (resend calls answered 2xx)", led.CallCount(simkit.CallResend)))
	}
	if st.Renewals != led.CallCount(simkit.CallRenewal) {
		add("renewals", st.Renewals, fmt.Sprintf("%d (renewal calls answered 2xx)", led.CallCount(simkit.CallRenewal)))
	}
	ds = append(ds, compareDocuments(st.Documents, res.Documents, led)...)
	return ds
}

func compareReason(st signing.State, led simkit.ProcessLedger) Diffs {
	var ds Diffs
	switch {
	case st.Status == signing.StatusCompleted:
		if st.Reason != "" {
			ds = append(ds, Diff{"reason", q(st.Reason), `"" (completed)`})
		}
	case led.Outcome == simkit.OutcomeRejected:
		if st.Reason != led.Reason {
			ds = append(ds, Diff{"reason", q(st.Reason), q(led.Reason) + " (the signer's own words)"})
		}
	case st.Status.Terminal():
		if strings.TrimSpace(st.Reason) == "" {
			ds = append(ds, Diff{"reason", `""`, "a reason for " + string(st.Status)})
		} else if led.Outcome == simkit.OutcomeCancelled && led.Reason != "" && !strings.Contains(st.Reason, led.Reason) {
			ds = append(ds, Diff{"reason", q(st.Reason), "one that says " + q(led.Reason) + " (the provider's reason)"})
		}
	}
	return ds
}

func compareSigners(got []signing.SignerState, want []simkit.LedgerSigner) Diffs {
	var ds Diffs
	byEmail := map[string]simkit.LedgerSigner{}
	for _, s := range want {
		byEmail[strings.ToLower(s.Email)] = s
	}
	seen := map[string]bool{}
	for _, s := range got {
		email := strings.ToLower(s.Email)
		seen[email] = true
		l, ok := byEmail[email]
		if !ok {
			ds = append(ds, Diff{"signer " + s.Email, string(s.Status), "no such signer at the provider"})
			continue
		}
		if string(s.Status) != l.Status {
			ds = append(ds, Diff{"signer " + s.Email + " status", string(s.Status), l.Status})
		}
	}
	for email, l := range byEmail {
		if !seen[email] {
			ds = append(ds, Diff{"signer " + l.Email, "missing", l.Status})
		}
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i].Field < ds[j].Field })
	return ds
}

// docKey identifies a document by what it is, not by firmaflow's naming.
func docKey(kind, sha string, size int64) string {
	return fmt.Sprintf("%s %s %d bytes", kind, sha, size)
}

func compareDocuments(stDocs, resDocs []signing.StoredDocument, led simkit.ProcessLedger) Diffs {
	var ds Diffs
	count := map[string]int{}
	for _, d := range led.Documents {
		count[docKey(d.Kind, d.SHA256, d.Size)]++
	}
	if led.Outcome != simkit.OutcomeCompleted {
		count = map[string]int{} // nothing was issued that firmaflow may keep
	}
	for _, d := range stDocs {
		k := docKey(string(d.Kind), d.SHA256, d.Size)
		if count[k] == 0 {
			ds = append(ds, Diff{"document " + d.Name, k, "none such issued by the provider"})
			continue
		}
		count[k]--
	}
	var missing []string
	for k, n := range count {
		for range n {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	for _, k := range missing {
		ds = append(ds, Diff{"documents", "missing", k})
	}
	if len(resDocs) != len(stDocs) {
		ds = append(ds, Diff{"result.documents", fmt.Sprint(len(resDocs)), fmt.Sprintf("%d (the state's)", len(stDocs))})
	} else {
		for i := range resDocs {
			if resDocs[i] != stDocs[i] {
				ds = append(ds, Diff{fmt.Sprintf("result.documents[%d]", i), fmt.Sprintf("%+v", resDocs[i]), fmt.Sprintf("%+v (the state's)", stDocs[i])})
			}
		}
	}
	return ds
}

func q(s string) string { return fmt.Sprintf("%q", s) }

func refEmail(r *signing.SignerRef) string {
	if r == nil {
		return ""
	}
	return r.Email
}

func ref(r *signing.SignerRef) string {
	if r == nil {
		return "none"
	}
	return r.Name + " <" + r.Email + ">"
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
