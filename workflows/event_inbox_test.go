package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/firmaflow/firmaflow/activities"
	"github.com/firmaflow/firmaflow/signing"
)

func TestInboxHoldsMarksUnclaimedThenForwardsInOrder(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(EventInbox)
	env.RegisterActivity(acts)
	start := env.Now()
	ownerAt := start.Add(3 * time.Hour)
	env.OnActivity(acts.FindOwner, mock.Anything, activities.OwnerQuery{Provider: "arqsign", ProviderRef: "R"}).Return(
		func(_ context.Context, _ activities.OwnerQuery) (activities.Owner, error) {
			if env.Now().Before(ownerAt) {
				return activities.Owner{}, nil
			}
			return activities.Owner{WorkflowID: "signing-p", Running: true}, nil
		})
	var forwarded [][]string
	env.OnActivity(acts.ForwardEvents, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.ForwardInput) error {
			require.Equal(t, "signing-p", in.WorkflowID)
			var keys []string
			for _, e := range in.Events {
				keys = append(keys, e.Key)
			}
			forwarded = append(forwarded, keys)
			return nil
		})
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(signing.SignalEvent, signing.Event{Key: "e1"}) }, 0)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(signing.SignalEvent, signing.Event{Key: "e2"}) }, time.Minute)
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(signing.QueryState)
		require.NoError(t, err)
		var st map[string]any
		require.NoError(t, v.Get(&st))
		require.Equal(t, InboxUnclaimed, st["status"], "past the claim window the inbox is marked for operators")
	}, 2*time.Hour)
	env.ExecuteWorkflow(EventInbox, InboxInput{Provider: "arqsign", ProviderRef: "R", ClaimWindow: signing.Duration(time.Hour)})
	require.NoError(t, env.GetWorkflowError())
	var res InboxResult
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, 2, res.Forwarded)
	require.Equal(t, [][]string{{"e1", "e2"}}, forwarded, "held events go in arrival order, in one batch")
	require.WithinDuration(t, ownerAt, env.Now(), 10*time.Minute, "slow polling after the window is bounded by the window")
}

func TestInboxForOwnerThatEndedForwardsNothing(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(EventInbox)
	env.RegisterActivity(acts)
	env.OnActivity(acts.FindOwner, mock.Anything, mock.Anything).Return(activities.Owner{WorkflowID: "signing-old"}, nil)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(signing.SignalEvent, signing.Event{Key: "late"}) }, 0)
	env.ExecuteWorkflow(EventInbox, InboxInput{Provider: "arqsign", ProviderRef: "R"})
	require.NoError(t, env.GetWorkflowError())
	var res InboxResult
	require.NoError(t, env.GetWorkflowResult(&res))
	require.True(t, res.OwnerEnded)
	require.Equal(t, 1, res.Forwarded, "the late event is accounted for, not dropped silently")
	env.AssertNotCalled(t, "ForwardEvents", mock.Anything, mock.Anything)
}
