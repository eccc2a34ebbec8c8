package workflows

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/firmaflow/firmaflow/activities"
	"github.com/firmaflow/firmaflow/signing"
)

// forgedStart starts SigningProcess as any Temporal client could: by type
// name, with raw JSON, under the workflow id signing-p-1.
func forgedStart(t *testing.T, env *testsuite.TestWorkflowEnvironment, raw string) {
	var in map[string]any
	require.NoError(t, json.Unmarshal([]byte(raw), &in))
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: signing.WorkflowID("p-1")})
	env.ExecuteWorkflow(signing.WorkflowType, in)
}

// A client that sets the workflow's own fields is refused before anything
// happens: it could otherwise start a process that is already "completed"
// (a forged continuation), or one that owns another process's provider
// reference, receives its events and cancels it at the provider.
func TestClientCannotForgeInternals(t *testing.T) {
	public := `"process_id":"p-1","provider":"arqsign","title":"Lease",` +
		`"documents":[{"name":"lease.pdf","key":"inbox/p-1/lease.pdf"}],"signers":[{"name":"Ana","email":"ana@example.com"}]`
	for field, forged := range map[string]string{
		"continued":    `"continued":{"state":{"process_id":"p-1","provider":"arqsign","status":"completed"},"seen_keys":[],"runs":1}`,
		"archive_only": `"archive_only":true,"provider_ref":"SOMEONE-ELSES-REF"`,
		"provider_ref": `"provider_ref":"SOMEONE-ELSES-REF"`,
	} {
		t.Run(field, func(t *testing.T) {
			var s testsuite.WorkflowTestSuite
			env := s.NewTestWorkflowEnvironment()
			env.RegisterWorkflow(SigningProcess)
			env.RegisterActivity(acts)
			quietReconcile(env)
			sends, cancels := 0, 0
			env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
				switch info.ActivityType.Name {
				case "Send":
					sends++
				case "Cancel":
					cancels++
				}
			})
			env.OnActivity(acts.Send, mock.Anything, mock.Anything).Return(activities.SendOutput{ProviderRef: ref}, nil).Maybe()
			env.OnActivity(acts.Cancel, mock.Anything, mock.Anything).Return(nil).Maybe()
			// Without the check the process would wait for events; a
			// Temporal cancel a day later ends it either way.
			env.RegisterDelayedCallback(env.CancelWorkflow, 24*time.Hour)
			forgedStart(t, env, "{"+public+","+forged+"}")
			err := env.GetWorkflowError()
			require.Error(t, err, "a forged %s is refused", field)
			var appErr *temporal.ApplicationError
			require.True(t, errors.As(err, &appErr), "%v", err)
			require.Equal(t, ErrTypeInvalidInput, appErr.Type())
			require.ErrorContains(t, err, field)
			require.Zero(t, sends, "nothing was sent")
			require.Zero(t, cancels, "nothing was cancelled at the provider")
		})
	}
}

// A cron run carries Temporal's ContinuedExecutionRunID too, but repeats
// the input its client gave the first run: a continuation in it is forged.
// (The test environment sets no cron schedule on a workflow it starts, so
// this checks the rule directly.)
func TestCronRunCannotForgeAContinuation(t *testing.T) {
	in := ProcessInput{Input: testInput(), Continued: &Continuation{Runs: 1}}
	continued := &workflow.Info{ContinuedExecutionRunID: "previous-run"}
	require.NoError(t, checkInternals(continued, in), "a run started by continue-as-new is trusted")
	cron := &workflow.Info{ContinuedExecutionRunID: "previous-run", CronSchedule: "@every 1h"}
	require.ErrorContains(t, checkInternals(cron, in), "continued is set only by the workflow itself")
}

// The archive-only process the bridge starts (for a provider process
// firmaflow did not send) never cancels at the provider: a cancel would
// withdraw a process that is not firmaflow's. The cancel update is refused;
// a cancellation requested in Temporal ends it without calling the provider.
func TestArchiveOnlyProcessNeverCancelsAtTheProvider(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(SigningProcess)
	env.RegisterActivity(acts)
	quietReconcile(env)
	cancels := 0
	env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		if info.ActivityType.Name == "Cancel" {
			cancels++
		}
	})
	env.OnActivity(acts.Cancel, mock.Anything, mock.Anything).Return(nil).Maybe()
	var update updateResult
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(signing.UpdateCancel, "u1", &testsuite.TestUpdateCallback{
			OnAccept:   func() { update.accepted = true },
			OnReject:   func(err error) { update.rejected, update.err = true, err },
			OnComplete: func(any, error) {},
		}, signing.CancelRequest{Reason: "not mine"})
	}, time.Minute)
	env.RegisterDelayedCallback(env.CancelWorkflow, time.Hour)
	var in map[string]any
	require.NoError(t, json.Unmarshal([]byte(`{"process_id":"cellosign-archive-REF-OUTSIDE","provider":"cellosign",`+
		`"title":"cellosign archive REF-OUTSIDE","archive_only":true,"provider_ref":"REF-OUTSIDE"}`), &in))
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: signing.WorkflowID("cellosign-archive-REF-OUTSIDE")})
	env.ExecuteWorkflow(signing.WorkflowType, in)
	require.NoError(t, env.GetWorkflowError())
	var res signing.Result
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, signing.StatusCancelled, res.Status)
	require.True(t, update.rejected, "the cancel update is refused")
	require.ErrorContains(t, update.err, "archive-only")
	require.Zero(t, cancels, "the provider was never asked to cancel")
}

// A client that starts SigningProcess directly is held to the same limits
// as the HTTP API: a process id the API could not address, more documents
// than a completion event can carry, a signer name no provider event could
// echo.
func TestInputOverItsLimitsIsRefused(t *testing.T) {
	for name, mut := range map[string]func(*signing.Input){
		"process_id":       func(in *signing.Input) { in.ProcessID = "a/x" },
		"documents:":       func(in *signing.Input) { in.Documents = slices.Repeat(in.Documents, signing.MaxDocuments+1) },
		"signers[0].name":  func(in *signing.Input) { in.Signers[0].Name = strings.Repeat("n", signing.MaxSignerNameBytes+1) },
		"signers[1].order": func(in *signing.Input) { in.Signers[1].Order = 1 << 40 },
		"options: 33":      func(in *signing.Input) { in.Options = manyOptions(signing.MaxOptions + 1) },
	} {
		t.Run(name, func(t *testing.T) {
			in := testInput()
			mut(&in)
			var s testsuite.WorkflowTestSuite
			env := s.NewTestWorkflowEnvironment()
			env.RegisterWorkflow(SigningProcess)
			env.ExecuteWorkflow(SigningProcess, ProcessInput{Input: in})
			require.ErrorContains(t, env.GetWorkflowError(), "invalid input")
			require.ErrorContains(t, env.GetWorkflowError(), name)
		})
	}
}

func manyOptions(n int) map[string]string {
	m := make(map[string]string, n)
	for i := range n {
		m[fmt.Sprint("option-", i)] = "x"
	}
	return m
}

// A process accepted before the limits existed goes on after it continues
// as new: its next run is not refused for an id or count the limits forbid.
func TestContinuedRunOfAProcessFromBeforeTheLimitsGoesOn(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(SigningProcess)
	env.RegisterActivity(acts)
	quietReconcile(env)
	env.OnActivity(acts.Cancel, mock.Anything, mock.Anything).Return(nil).Once()
	in := ProcessInput{Input: testInput()}
	in.ProcessID = "t/1"
	in.Documents = slices.Repeat(in.Documents, signing.MaxDocuments+1)
	in.Continued = &Continuation{Runs: 1, State: signing.State{ProcessID: in.ProcessID, Provider: in.Provider, ProviderRef: ref,
		Status: signing.StatusAwaitingSignatures}}
	env.SetContinuedExecutionRunID("run-before-the-limits")
	env.RegisterDelayedCallback(env.CancelWorkflow, time.Hour)
	env.ExecuteWorkflow(SigningProcess, in)
	require.NoError(t, env.GetWorkflowError())
	var res signing.Result
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, signing.StatusCancelled, res.Status, "the process ran on until it was cancelled")
}
