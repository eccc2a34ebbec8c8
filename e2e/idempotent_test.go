package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/firmaflow/firmaflow/internal/devserver"
	"github.com/firmaflow/firmaflow/internal/simulated"
	"github.com/firmaflow/firmaflow/signing"
	"github.com/firmaflow/firmaflow/simulators/arqsignsim"
	"github.com/firmaflow/firmaflow/starter/processes"
)

// simCount counts the ArqSIGN simulator's processes named title.
func simCount(title string) int {
	n := 0
	for _, p := range simulated.ArqSIGN(stack).Processes() {
		if p.Name == title {
			n++
		}
	}
	return n
}

// A start retried after the process ended (a lost answer, a Temporal
// restart) returns that process; another input under the id is a conflict.
func TestStartIsIdempotentRunningOrEnded(t *testing.T) {
	ctx := context.Background()
	in, wait := startProcess(t, arqsignsim.ScenarioManual, fastPolicy)
	running, err := processes.Start(ctx, stack.Client, stack.Config.Temporal.TaskQueue, in)
	require.NoError(t, err, "the same start while the process runs returns it")
	require.Equal(t, signing.WorkflowID(in.ProcessID), running.GetID())

	require.Eventually(t, func() bool {
		st, err := processes.State(ctx, stack.Client, in.ProcessID)
		return err == nil && st.ProviderRef != ""
	}, time.Minute, 50*time.Millisecond)
	_, err = processes.Cancel(ctx, stack.Client, in.ProcessID, "test over")
	require.NoError(t, err)
	res := wait()
	require.Equal(t, signing.StatusCancelled, res.Status)

	again, err := processes.Start(ctx, stack.Client, stack.Config.Temporal.TaskQueue, in)
	require.NoError(t, err, "the same start after the process ended returns it")
	require.Equal(t, running.GetRunID(), again.GetRunID())
	got, err := processes.Result(ctx, again)
	require.NoError(t, err)
	require.Equal(t, res.ProviderRef, got.ProviderRef)

	other := in
	other.Title = in.Title + " (edited)"
	_, err = processes.Start(ctx, stack.Client, stack.Config.Temporal.TaskQueue, other)
	var conflict *processes.ConflictError
	require.True(t, errors.As(err, &conflict), "another input is a conflict: %v", err)
	require.Equal(t, 1, simCount(in.Title), "one provider process")
}

// A second run started anyway under the workflow id (a client that set
// ALLOW_DUPLICATE after the first ended) finds the first run's provider
// process through the send marker and never reaches the provider.
func TestSecondRunUnderTheIdDoesNotReachTheProvider(t *testing.T) {
	ctx := context.Background()
	in, wait := startProcess(t, arqsignsim.ScenarioSign, fastPolicy)
	first := wait()
	require.Equal(t, signing.StatusCompleted, first.Status)
	require.Equal(t, 1, simCount(in.Title))

	run, err := stack.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: signing.WorkflowID(in.ProcessID), TaskQueue: stack.Config.Temporal.TaskQueue,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
	}, signing.WorkflowType, in)
	require.NoError(t, err)
	defer stack.Client.TerminateWorkflow(ctx, run.GetID(), run.GetRunID(), "test over")
	require.Eventually(t, func() bool {
		st, err := processes.State(ctx, stack.Client, in.ProcessID)
		return err == nil && st.ProviderRef != ""
	}, time.Minute, 100*time.Millisecond)
	st, err := processes.State(ctx, stack.Client, in.ProcessID)
	require.NoError(t, err)
	require.Equal(t, first.ProviderRef, st.ProviderRef, "the second run took the first run's provider process")
	require.Equal(t, 1, simCount(in.Title), "the provider saw one send")
}

// The README's `temporal workflow start` line sets the policies that make a
// repeated start report the existing run instead of starting a second one
// (today's default policy, AllowDuplicate, started a second run and a
// second provider process).
func TestReadmeCLIStartDoesNotStartASecondRun(t *testing.T) {
	ctx := context.Background()
	cli, err := devserver.Binary(ctx, slog.Default())
	require.NoError(t, err)
	in, wait := startProcess(t, arqsignsim.ScenarioSign, fastPolicy)
	require.Equal(t, signing.StatusCompleted, wait().Status)
	file := filepath.Join(t.TempDir(), "process.json")
	raw, _ := json.Marshal(in)
	require.NoError(t, os.WriteFile(file, raw, 0o600))
	start := func(extra ...string) (string, error) {
		args := append([]string{"workflow", "start", "--address", stack.Config.Temporal.Address, "--namespace", stack.Config.Temporal.Namespace,
			"--type", signing.WorkflowType, "--task-queue", stack.Config.Temporal.TaskQueue,
			"--workflow-id", signing.WorkflowID(in.ProcessID), "--input-file", file,
			"--id-reuse-policy", "RejectDuplicate", "--id-conflict-policy", "Fail"}, extra...)
		out, err := exec.CommandContext(ctx, cli, args...).CombinedOutput()
		return string(out), err
	}
	out, err := start()
	require.NoError(t, err, "%s", out)
	_, err = start("--fail-existing")
	require.Error(t, err, "with --fail-existing the CLI says the id is taken")

	resp, err := stack.Client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
		Namespace: stack.Config.Temporal.Namespace, Query: "WorkflowId = '" + signing.WorkflowID(in.ProcessID) + "'"})
	require.NoError(t, err)
	require.Len(t, resp.GetExecutions(), 1, "one run under the id")
	require.Contains(t, out, resp.GetExecutions()[0].GetExecution().GetRunId(), "the CLI reports the existing run")
	require.Equal(t, 1, simCount(in.Title))
}
