package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/sdk/v1"
	"go.temporal.io/sdk/testsuite"

	"github.com/firmaflow/firmaflow/activities"
	"github.com/firmaflow/firmaflow/routing"
	"github.com/firmaflow/firmaflow/signing"
)

// currentDetails reads what the Temporal UI shows as the run's current
// details (the built-in metadata query).
func currentDetails(t *testing.T, env *testsuite.TestWorkflowEnvironment) string {
	t.Helper()
	v, err := env.QueryWorkflow("__temporal_workflow_metadata")
	require.NoError(t, err)
	var md sdk.WorkflowMetadata
	require.NoError(t, v.Get(&md))
	return md.GetCurrentDetails()
}

// Every workflow firmaflow runs sets its current details itself, so a run
// started by any client (with no summary) still reads well in the UI.
func TestEveryWorkflowSetsItsCurrentDetails(t *testing.T) {
	t.Run("SigningProcess", func(t *testing.T) {
		h := newHarness(t)
		h.env.RegisterDelayedCallback(func() {
			require.Contains(t, currentDetails(t, h.env), "**awaiting_signatures** via arqsign — 0/2 signed")
			h.env.CancelWorkflow()
		}, time.Minute)
		h.env.OnActivity(acts.Cancel, mock.Anything, mock.Anything).Return(nil).Maybe()
		h.env.ExecuteWorkflow(SigningProcess, ProcessInput{Input: testInput()})
	})
	t.Run("ProcessRoute", func(t *testing.T) {
		env := routeEnv(t)
		env.RegisterDelayedCallback(func() {
			require.Contains(t, currentDetails(t, env), "arqsign process `"+ref+"`")
			env.CancelWorkflow()
		}, time.Minute)
		env.ExecuteWorkflow(ProcessRoute, routing.RouteInput{Provider: "arqsign", ProviderRef: ref, ClaimWindow: signing.Duration(time.Hour)})
	})
	t.Run("ProviderAccount", func(t *testing.T) {
		var s testsuite.WorkflowTestSuite
		env := s.NewTestWorkflowEnvironment()
		env.RegisterWorkflow(ProviderAccount)
		env.RegisterActivity(acts)
		env.OnActivity(acts.Broadcast, mock.Anything, mock.Anything).Return(
			func(context.Context, activities.BroadcastInput) (activities.BroadcastResult, error) {
				return activities.BroadcastResult{}, nil
			})
		env.RegisterDelayedCallback(func() {
			env.SignalWorkflow(routing.SignalJoinAccount, routing.Member{WorkflowID: "signing-a"})
			env.SignalWorkflow(signing.SignalEvent, signing.Event{Key: "n1", Provider: "contractualis", Type: signing.EventAwaitingTokens, AccountWide: true})
		}, time.Second)
		env.RegisterDelayedCallback(func() {
			require.Equal(t, "**1 open process(es)** of contractualis receive its account-wide events — 1 handed out in this run", currentDetails(t, env))
			env.CancelWorkflow()
		}, time.Minute)
		env.ExecuteWorkflow(ProviderAccount, routing.AccountInput{Provider: "contractualis"})
	})
}
