package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/firmaflow/firmaflow/internal/oracle"
	"github.com/firmaflow/firmaflow/signing"
	"github.com/firmaflow/firmaflow/simulators/simkit"
	"github.com/firmaflow/firmaflow/starter/processes"
)

// requireTruth holds an ended process to the simulator's ledger: its
// complete final state and result (status, reason, signers, rejected_by,
// documents' sha256 and size, resends and renewals), every event answered
// 2xx, no duplicate provider call, and the stored bytes. Only for processes
// driven by the simulator: payloads forged by a test are not in its ledger.
func requireTruth(t testing.TB, in signing.Input, res signing.Result) {
	t.Helper()
	ctx := context.Background()
	st, err := processes.State(ctx, stack.Client, in.ProcessID)
	require.NoError(t, err)
	var led simkit.ProcessLedger
	var ok bool
	if sim, found := stack.Simulators[in.Provider]; found {
		led, ok = sim.LedgerOf(res.ProviderRef)
	}
	require.True(t, ok, "the %s simulator has no process %q", in.Provider, res.ProviderRef)
	var rep oracle.Report
	if !rep.Check(ctx, in.ProcessID, st, res, led, stack.Store) {
		var log []string
		for _, e := range st.Events {
			log = append(log, fmt.Sprintf("  %s %s %s: %s", e.ReceivedAt.Format("15:04:05.000"), e.Type, e.Key, e.Effect))
		}
		t.Fatalf("the process is not what the provider's ledger says:\n%s\n%sits event log:\n%s",
			strings.Join(rep.Failures, "\n"), rep.Lines(), strings.Join(log, "\n"))
	}
}
