package workflows

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/firmaflow/firmaflow/routing"
	"github.com/firmaflow/firmaflow/signing"
)

// TestReplayRecordedHistories replays histories recorded from real runs of
// each lifecycle on the Temporal dev server (regenerate them with
// FIRMAFLOW_RECORD_HISTORIES=$PWD/workflows/testdata/histories go test ./e2e/).
// The arqsign-<scenario>.json files predate continue-as-new and
// reconciliation (they replay as DefaultVersion); the newer files, named by
// test, cover those versions and Contractualis; v3-* runs record the one
// behaviourBundle marker (versions.go), v4-* its version 2
// (bundleSkipsIndexed). A change to SigningProcess
// that would break running processes fails here:
// guard such changes with workflow.GetVersion.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "histories", "*.json"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 8, "recorded histories are missing")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflowWithOptions(SigningProcess, workflow.RegisterOptions{Name: signing.WorkflowType})
			r.RegisterWorkflowWithOptions(ProcessRoute, workflow.RegisterOptions{Name: routing.RouteWorkflowType})
			r.RegisterWorkflowWithOptions(ProviderAccount, workflow.RegisterOptions{Name: routing.AccountWorkflowType})
			require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(nil, f))
		})
	}
}
