package oracle

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/firmaflow/firmaflow/signing"
	"github.com/firmaflow/firmaflow/simulators/simkit"
)

var (
	signedPDF = []byte("%PDF-1.4 signed")
	record    = []byte("%PDF-1.4 record")
)

// completedLedger is a two-signer process that completed, recorded the way
// a simulator records it.
func completedLedger() simkit.ProcessLedger {
	l := simkit.NewLedger("arqsign")
	l.Open("ref-1", "Contract", "sign", []simkit.LedgerSigner{{Name: "Ana", Email: "ana@example.com"}, {Name: "Bruno", Email: "bruno@example.com"}})
	l.Signer("ref-1", "ana@example.com", simkit.SignerSigned, "")
	l.Posted("ref-1", "3:a", simkit.EventSigned, "ana@example.com", time.Now(), simkit.Result{Attempts: 1, Status: 200, FirstOK: time.Now()})
	l.Signer("ref-1", "bruno@example.com", simkit.SignerSigned, "")
	l.Issue("ref-1", simkit.Doc("signed", "c.pdf", signedPDF), simkit.Doc("signature_record", "r.pdf", record))
	l.End("ref-1", simkit.OutcomeCompleted, "")
	l.Served("ref-1", "/sim/files/ref-1/0/signed", signedPDF)
	l.Served("ref-1", "/sim/files/ref-1/0/record", record)
	p, _ := l.Process("ref-1")
	return p
}

func stored(kind signing.DocumentKind, key string, b []byte) signing.StoredDocument {
	d := simkit.Doc(string(kind), key, b)
	return signing.StoredDocument{Kind: kind, Name: key, Key: key, Size: d.Size, SHA256: d.SHA256}
}

// completedState is firmaflow's true view of completedLedger.
func completedState() (signing.State, signing.Result) {
	docs := []signing.StoredDocument{stored(signing.KindSigned, "p/signed.pdf", signedPDF), stored(signing.KindSignatureRecord, "p/record.pdf", record)}
	st := signing.State{ProcessID: "p", Provider: "arqsign", ProviderRef: "ref-1", Status: signing.StatusCompleted,
		Signers: []signing.SignerState{
			{Signer: signing.Signer{Name: "Ana", Email: "ana@example.com"}, Status: signing.SignerSigned},
			{Signer: signing.Signer{Name: "Bruno", Email: "Bruno@Example.com"}, Status: signing.SignerSigned},
		},
		Documents: docs}
	res := signing.Result{ProcessID: "p", Provider: "arqsign", ProviderRef: "ref-1", Status: signing.StatusCompleted,
		Documents: append([]signing.StoredDocument(nil), docs...), EndedAt: time.Now().Add(time.Hour)}
	return st, res
}

func TestTheTruthMatches(t *testing.T) {
	st, res := completedState()
	led := completedLedger()
	require.Empty(t, Compare(st, res, led))
	require.Empty(t, LostEffects(st, res, led))
	require.Empty(t, Duplicates(led))
}

func fields(ds Diffs) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Field)
	}
	return out
}

func TestMismatchesAreReportedFieldByField(t *testing.T) {
	led := completedLedger()

	st, res := completedState()
	st.Signers[1].Status = signing.SignerPending // a lost signature
	ds := Compare(st, res, led)
	require.Equal(t, []string{"signer Bruno@Example.com status"}, fields(ds))
	require.Contains(t, ds.String(), "got pending, want signed")

	st, res = completedState()
	st.Documents[0].SHA256 = strings.Repeat("0", 64) // not what the provider issued
	ds = Compare(st, res, led)
	require.Contains(t, fields(ds), "document p/signed.pdf")
	require.Contains(t, fields(ds), "documents", "the true document is missing")
	require.Contains(t, fields(ds), "result.documents[0]", "result and state disagree")

	st, res = completedState()
	st.Status, res.Status = signing.StatusFailed, signing.StatusFailed
	st.Reason, res.Reason = "fetching failed", "fetching failed"
	ds = Compare(st, res, led)
	require.Contains(t, fields(ds), "status")
	require.Equal(t, []string{"status"}, fields(ds))
	require.Contains(t, ds.String(), "status: got failed, want completed (provider outcome completed)")

	st, res = completedState()
	st.Resends, res.Resends = 1, 1 // firmaflow says it resent; the provider saw none
	require.Equal(t, []string{"resends"}, fields(Compare(st, res, led)))
}

func TestRejectionNeedsTheSignersWordsAndTheRightSigner(t *testing.T) {
	l := simkit.NewLedger("autosign")
	l.Open("r", "n", "reject", []simkit.LedgerSigner{{Email: "ana@x"}, {Email: "bruno@x"}})
	l.Signer("r", "ana@x", simkit.SignerSigned, "")
	l.Signer("r", "bruno@x", simkit.SignerRejected, "El monto no coincide")
	led, _ := l.Process("r")
	st := signing.State{ProviderRef: "r", Status: signing.StatusRejected, Reason: "El monto no coincide",
		RejectedBy: &signing.SignerRef{Email: "bruno@x"},
		Signers: []signing.SignerState{
			{Signer: signing.Signer{Email: "ana@x"}, Status: signing.SignerSigned},
			{Signer: signing.Signer{Email: "bruno@x"}, Status: signing.SignerRejected},
		}}
	res := signing.Result{ProviderRef: "r", Status: st.Status, Reason: st.Reason, RejectedBy: st.RejectedBy}
	require.Empty(t, Compare(st, res, led))

	// "signed by Ana" came out as "rejected by Ana" (a reused decode variable).
	st.RejectedBy = &signing.SignerRef{Email: "ana@x"}
	res.RejectedBy = st.RejectedBy
	st.Signers[0].Status, st.Signers[1].Status = signing.SignerRejected, signing.SignerPending
	st.Reason, res.Reason = "rejected by a signer", "rejected by a signer"
	require.ElementsMatch(t, []string{"rejected_by", "reason", "signer ana@x status", "signer bruno@x status"}, fields(Compare(st, res, led)))
}

func TestWithdrawalAndOpenProcesses(t *testing.T) {
	l := simkit.NewLedger("arqsign")
	l.Open("w", "n", "delivery-failure", []simkit.LedgerSigner{{Email: "ana@x"}})
	l.Signer("w", "ana@x", simkit.SignerDeliveryFailed, "")
	led, _ := l.Process("w")
	st := signing.State{ProviderRef: "w", Status: signing.StatusDeliveryFailed, Reason: "delivery failed after 0 resends",
		Signers: []signing.SignerState{{Signer: signing.Signer{Email: "ana@x"}, Status: signing.SignerDeliveryFailed}}}
	res := signing.Result{ProviderRef: "w", Status: st.Status, Reason: st.Reason}
	ds := Compare(st, res, led)
	require.Equal(t, []string{"status"}, fields(ds), "firmaflow gave up but never withdrew: the process is still open")
	require.Contains(t, ds.String(), "still open")

	l.Call("w", simkit.CallCancel, http.StatusOK)
	l.End("w", simkit.OutcomeWithdrawn, "")
	led, _ = l.Process("w")
	require.Empty(t, Compare(st, res, led))

	st.Reason, res.Reason = "", ""
	require.Equal(t, []string{"reason"}, fields(Compare(st, res, led)), "an end other than completed needs a reason")
}

func TestLostEffects(t *testing.T) {
	st, res := completedState()
	st.Status, res.Status = signing.StatusCancelled, signing.StatusCancelled
	st.Signers[0].Status = signing.SignerPending // Ana's signed event was answered 2xx, then lost
	led := completedLedger()
	lost := LostEffects(st, res, led)
	require.Len(t, lost, 1)
	require.Contains(t, lost[0], "signed (ana@example.com)")

	res.EndedAt = led.Webhooks[0].Answered2xx.Add(-time.Second) // it came after the end: not lost
	require.Empty(t, LostEffects(st, res, led))
}

func TestDuplicateCalls(t *testing.T) {
	l := simkit.NewLedger("arqsign")
	l.Open("d", "n", "delivery-failure", []simkit.LedgerSigner{{Email: "ana@x"}})
	l.Signer("d", "ana@x", simkit.SignerDeliveryFailed, "")
	l.Call("d", simkit.CallResend, http.StatusOK)
	l.Reopen("d")
	led, _ := l.Process("d")
	require.Empty(t, Duplicates(led), "one resend for one failure")

	l.Call("d", simkit.CallResend, http.StatusOK) // a retried activity calls again
	l.Call("d", simkit.CallCancel, http.StatusOK)
	l.Call("d", simkit.CallCancel, http.StatusUnprocessableEntity)
	l.Served("d", "/f", signedPDF)
	l.Served("d", "/f", signedPDF)
	led, _ = l.Process("d")
	require.ElementsMatch(t, []string{"resend without a delivery failure since the last resend", "2 cancel calls", "/f downloaded 2 times"}, Duplicates(led))

	sends := DuplicateSends([]simkit.ProcessLedger{{Provider: "p", Name: "A"}, {Provider: "p", Name: "A"}, {Provider: "p", Name: "B"}})
	require.Equal(t, map[string]int{"p: A": 1}, sends)
}

type fakeStore map[string][]byte

func (f fakeStore) Describe(_ context.Context, key string) (signing.StoredDocument, error) {
	b, ok := f[key]
	if !ok {
		return signing.StoredDocument{}, errors.New("not found")
	}
	d := simkit.Doc("", key, b)
	return signing.StoredDocument{Key: key, Size: d.Size, SHA256: d.SHA256}, nil
}

func TestStoredBytesAreCheckedAndReported(t *testing.T) {
	st, res := completedState()
	led := completedLedger()
	good := fakeStore{"p/signed.pdf": signedPDF, "p/record.pdf": record}
	var r Report
	require.True(t, r.Check(context.Background(), "p", st, res, led, good))
	require.True(t, r.OK())
	require.Equal(t, "oracle: processes matching the ledger 1/1\n"+
		"oracle: events answered 2xx without their effect 0\n"+
		"oracle: duplicate provider calls 0\n"+
		"oracle: stored documents matching their sha256 2/2\n", r.Lines())

	bad := fakeStore{"p/signed.pdf": []byte("%PDF-1.4 tampered")}
	n, problems := VerifyStored(context.Background(), bad, st.Documents)
	require.Zero(t, n)
	require.Len(t, problems, 2)
	require.False(t, r.Check(context.Background(), "p2", st, res, led, bad))
	require.False(t, r.OK())
	require.Contains(t, r.Lines(), "stored documents matching their sha256 2/4")
	require.Contains(t, r.Failures[0], "p2: ")
}

func TestARejectionWithoutItsSignerLostItsEffect(t *testing.T) {
	l := simkit.NewLedger("autosign")
	l.Open("r", "n", "reject", []simkit.LedgerSigner{{Email: "bruno@x"}})
	l.Signer("r", "bruno@x", simkit.SignerRejected, "no")
	l.Posted("r", "ev1", simkit.EventRejected, "bruno@x", time.Now(), simkit.Result{Attempts: 1, Status: 200, FirstOK: time.Now()})
	led, _ := l.Process("r")
	// Ended by reconciliation, which does not know who refused: the held
	// webhook that did was answered 2xx and lost.
	st := signing.State{ProviderRef: "r", Status: signing.StatusRejected, Reason: "rejected by a signer"}
	res := signing.Result{ProviderRef: "r", Status: st.Status, Reason: st.Reason, EndedAt: time.Now().Add(time.Minute)}
	require.Len(t, LostEffects(st, res, led), 1)
	st.RejectedBy = &signing.SignerRef{Email: "Bruno@x"}
	require.Empty(t, LostEffects(st, res, led))
}
