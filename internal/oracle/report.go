package oracle

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/firmaflow/firmaflow/signing"
	"github.com/firmaflow/firmaflow/simulators/simkit"
)

// Report adds up the oracle's verdicts over many processes.
type Report struct {
	Processes, Matching   int
	LostEffects           int
	DuplicateCalls        int
	Documents, DocsStored int
	// Failures say, per process, what differs.
	Failures []string
}

// Check runs every verdict on one ended process and adds it to the report.
// id names the process in failures. It reports whether all was right.
func (r *Report) Check(ctx context.Context, id string, st signing.State, res signing.Result, led simkit.ProcessLedger, store Describer) bool {
	r.Processes++
	var lines []string
	if ds := Compare(st, res, led); len(ds) > 0 {
		lines = append(lines, "differs from the ledger:\n"+ds.String())
	} else {
		r.Matching++
	}
	if lost := LostEffects(st, res, led); len(lost) > 0 {
		r.LostEffects += len(lost)
		lines = append(lines, lost...)
	}
	if dups := Duplicates(led); len(dups) > 0 {
		r.DuplicateCalls += len(dups)
		lines = append(lines, dups...)
	}
	r.Documents += len(st.Documents)
	n, problems := VerifyStored(ctx, store, st.Documents)
	r.DocsStored += n
	lines = append(lines, problems...)
	if len(lines) > 0 {
		r.Failures = append(r.Failures, id+": "+strings.Join(lines, "\n  "))
		return false
	}
	return true
}

// Fail records a process the oracle could not check (no result, no
// ledger): it counts as not matching.
func (r *Report) Fail(id, format string, args ...any) {
	r.Processes++
	r.Failures = append(r.Failures, id+": "+fmt.Sprintf(format, args...))
}

// AddDuplicateSends counts provider processes opened twice for one of ours.
func (r *Report) AddDuplicateSends(ledgers []simkit.ProcessLedger, ours func(name string) bool) {
	dups := DuplicateSends(ledgers)
	keys := make([]string, 0, len(dups))
	for k := range dups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		_, name, _ := strings.Cut(k, ": ")
		if ours(name) {
			r.DuplicateCalls += dups[k]
			r.Failures = append(r.Failures, fmt.Sprintf("%s: %d extra provider process(es) sent", k, dups[k]))
		}
	}
}

// OK reports whether every process matched with no lost event, no
// duplicate call and every stored document intact.
func (r *Report) OK() bool {
	return r.Matching == r.Processes && r.LostEffects == 0 && r.DuplicateCalls == 0 &&
		r.DocsStored == r.Documents && len(r.Failures) == 0
}

// Lines are the oracle's verdict, the fault test's last lines.
func (r *Report) Lines() string {
	return fmt.Sprintf("oracle: processes matching the ledger %d/%d\n"+
		"oracle: events answered 2xx without their effect %d\n"+
		"oracle: duplicate provider calls %d\n"+
		"oracle: stored documents matching their sha256 %d/%d\n",
		r.Matching, r.Processes, r.LostEffects, r.DuplicateCalls, r.DocsStored, r.Documents)
}
