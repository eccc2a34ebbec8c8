package reliability

import (
	"context"
	"fmt"
	"strings"

	"github.com/firmaflow/firmaflow/internal/devstack"
	"github.com/firmaflow/firmaflow/internal/oracle"
	"github.com/firmaflow/firmaflow/signing"
	"github.com/firmaflow/firmaflow/simulators/simkit"
	"github.com/firmaflow/firmaflow/starter/processes"
)

// ledgerOf returns the simulator's ground truth for a provider process.
func ledgerOf(stack *devstack.Stack, provider, ref string) (simkit.ProcessLedger, bool) {
	sim, ok := stack.Simulators[provider]
	if !ok {
		return simkit.ProcessLedger{}, false
	}
	return sim.LedgerOf(ref)
}

// allLedgers is every provider process of every simulator.
func allLedgers(stack *devstack.Stack) []simkit.ProcessLedger {
	var all []simkit.ProcessLedger
	for _, sim := range stack.Simulators {
		all = append(all, sim.Ledger()...)
	}
	return all
}

// judge runs the oracle on every run: its complete final state and result
// against the ledger, events without effect, duplicate calls, and the
// stored bytes against their recorded sha256.
func judge(ctx context.Context, stack *devstack.Stack, runs []*run) *oracle.Report {
	rep := &oracle.Report{}
	for _, r := range runs {
		id := r.in.ProcessID + " (" + r.k.provider + "/" + r.k.name() + ")"
		if r.err != nil && r.res.ProviderRef == "" {
			// Where a process without a result stands, for diagnosis.
			where := ""
			if st, err := processes.State(ctx, stack.Client, r.in.ProcessID); err == nil {
				where = fmt.Sprintf(" (status %s, provider ref %q)", st.Status, st.ProviderRef) + eventLog(st)
			}
			rep.Fail(id, "no result: %v%s", r.err, where)
			continue
		}
		st, err := processes.State(ctx, stack.Client, r.in.ProcessID)
		if err != nil {
			rep.Fail(id, "state query: %v", err)
			continue
		}
		led, ok := ledgerOf(stack, r.k.provider, r.res.ProviderRef)
		if !ok {
			rep.Fail(id, "no provider process %q at the simulator (status %s: %s)", r.res.ProviderRef, r.res.Status, r.res.Reason)
			continue
		}
		if !rep.Check(ctx, id, st, r.res, led, stack.Store) {
			rep.Failures[len(rep.Failures)-1] += eventLog(st)
		}
	}
	rep.AddDuplicateSends(allLedgers(stack), func(name string) bool { return strings.HasPrefix(name, "Fault ") })
	return rep
}

// eventLog shows the end of a failing process's event log, for diagnosis.
func eventLog(st signing.State) string {
	var b strings.Builder
	b.WriteString("\n  its event log (last 12):")
	for _, e := range st.Events[max(0, len(st.Events)-12):] {
		fmt.Fprintf(&b, "\n    %s %s %s: %s", e.ReceivedAt.Format("15:04:05.000"), e.Type, e.Key, e.Effect)
	}
	return b.String()
}

// summary is the oracle's report for humans: failures first, the verdict last.
func summary(rep *oracle.Report) string {
	var b strings.Builder
	for _, f := range rep.Failures {
		fmt.Fprintf(&b, "ORACLE %s\n", f)
	}
	return b.String()
}
