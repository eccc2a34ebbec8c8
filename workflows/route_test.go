package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/firmaflow/firmaflow/activities"
	"github.com/firmaflow/firmaflow/routing"
	"github.com/firmaflow/firmaflow/signing"
)

func routeEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(ProcessRoute)
	env.RegisterActivity(acts)
	return env
}

func routeState(t *testing.T, env *testsuite.TestWorkflowEnvironment) map[string]any {
	t.Helper()
	v, err := env.QueryWorkflow(signing.QueryState)
	require.NoError(t, err)
	var st map[string]any
	require.NoError(t, v.Get(&st))
	return st
}

// Events that arrive before the owner is registered are held, show as
// unclaimed after the claim window (without any lookup), and are handed
// over intact and in order once the owner registers — even weeks later.
func TestRouteHoldsEventsUntilTheOwnerRegisters(t *testing.T) {
	env := routeEnv(t)
	var handed []signing.Event
	var to []string
	env.OnActivity(acts.HandOver, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.HandOverInput) (activities.HandOverResult, error) {
			handed = append(handed, in.Events...)
			to = append(to, in.WorkflowID)
			return activities.HandOverResult{}, nil
		})
	env.OnActivity(acts.DescribeOwner, mock.Anything, mock.Anything).Return(activities.OwnerStatus{Running: true}, nil)
	env.RegisterDelayedCallback(func() {
		for _, e := range heldEvents() {
			env.SignalWorkflow(signing.SignalEvent, e)
		}
	}, time.Second)
	env.RegisterDelayedCallback(func() {
		st := routeState(t, env)
		require.Equal(t, RouteUnclaimed, st["status"], "past the claim window")
		require.Len(t, st["held"], 3)
		require.Empty(t, handed)
	}, 2*time.Hour)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(routing.SignalRegisterOwner, routing.OwnerRegistration{WorkflowID: "signing-p"})
	}, 21*24*time.Hour)
	env.RegisterDelayedCallback(func() {
		st := routeState(t, env)
		require.Equal(t, RouteRouted, st["status"])
		require.Equal(t, "signing-p", st["owner"])
		require.Empty(t, st["held"])
		env.CancelWorkflow()
	}, 21*24*time.Hour+time.Minute)
	env.ExecuteWorkflow(ProcessRoute, routing.RouteInput{Provider: "arqsign", ProviderRef: ref, ClaimWindow: signing.Duration(time.Hour)})
	requireHeldIntact(t, handed)
	require.Equal(t, []string{"signing-p"}, to, "one hand-over, to the owner")
}

// An owned route ends a grace period after its owner ended, and never
// hands anything to a second claimant.
func TestRouteEndsAGracePeriodAfterItsOwner(t *testing.T) {
	env := routeEnv(t)
	endedAt := env.Now().Add(3 * 24 * time.Hour)
	checks := 0
	env.OnActivity(acts.DescribeOwner, mock.Anything, "signing-p").Return(
		func(context.Context, string) (activities.OwnerStatus, error) {
			checks++
			if env.Now().Before(endedAt) {
				return activities.OwnerStatus{Running: true}, nil
			}
			return activities.OwnerStatus{ClosedAt: endedAt}, nil
		})
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(routing.SignalRegisterOwner, routing.OwnerRegistration{WorkflowID: "signing-intruder"})
	}, time.Hour)
	start := env.Now()
	env.ExecuteWorkflow(ProcessRoute, routing.RouteInput{Provider: "arqsign", ProviderRef: ref, Owner: "signing-p",
		Grace: signing.Duration(48 * time.Hour)})
	require.NoError(t, env.GetWorkflowError())
	took := env.Now().Sub(start)
	require.GreaterOrEqual(t, took, 5*24*time.Hour, "owner end + grace")
	require.Less(t, took, 6*24*time.Hour+time.Minute)
	require.LessOrEqual(t, checks, 5, "the owner is checked daily, not polled")
}

// Events handed to an owner that has ended have no effect; the route notes
// the end and finishes after its grace.
func TestRouteNotesAnEndedOwnerOnHandOver(t *testing.T) {
	env := routeEnv(t)
	env.OnActivity(acts.HandOver, mock.Anything, mock.Anything).Return(activities.HandOverResult{OwnerEnded: true}, nil).Once()
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(signing.SignalEvent, ev("late", signing.EventSignerSigned, "ana@example.com"))
	}, time.Minute)
	start := env.Now()
	env.ExecuteWorkflow(ProcessRoute, routing.RouteInput{Provider: "arqsign", ProviderRef: ref, Owner: "signing-p",
		Grace: signing.Duration(time.Hour)})
	require.NoError(t, env.GetWorkflowError())
	require.Less(t, env.Now().Sub(start), 2*time.Hour)
}

// Account-wide events reach every member, the one that joined a moment
// before included; members that ended are dropped.
func TestAccountBroadcastsToEveryMember(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(ProviderAccount)
	env.RegisterActivity(acts)
	var got [][]string
	env.OnActivity(acts.Broadcast, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.BroadcastInput) (activities.BroadcastResult, error) {
			got = append(got, in.Members)
			return activities.BroadcastResult{Ended: []string{"signing-a"}}, nil
		})
	notokens := signing.Event{Key: "n1", Provider: "contractualis", Type: signing.EventAwaitingTokens, AccountWide: true}
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(routing.SignalJoinAccount, routing.Member{WorkflowID: "signing-a"})
		env.SignalWorkflow(routing.SignalJoinAccount, routing.Member{WorkflowID: "signing-b"})
		env.SignalWorkflow(routing.SignalJoinAccount, routing.Member{WorkflowID: "signing-b"})
	}, time.Second)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(routing.SignalJoinAccount, routing.Member{WorkflowID: "signing-c"})
		env.SignalWorkflow(signing.SignalEvent, notokens)
	}, time.Minute)
	env.RegisterDelayedCallback(func() {
		notokens.Key = "n2"
		env.SignalWorkflow(signing.SignalEvent, notokens)
	}, time.Hour)
	env.RegisterDelayedCallback(env.CancelWorkflow, 2*time.Hour)
	env.ExecuteWorkflow(ProviderAccount, routing.AccountInput{Provider: "contractualis"})
	require.Equal(t, [][]string{{"signing-a", "signing-b", "signing-c"}, {"signing-b", "signing-c"}}, got)
}

// The owner is published to the bridge only once the held events are
// handed over: until then later events queue behind them on the route.
func TestRoutePublishesItsOwnerAfterTheHandOver(t *testing.T) {
	env := routeEnv(t)
	env.OnActivity(acts.HandOver, mock.Anything, mock.Anything).After(time.Minute).Return(activities.HandOverResult{}, nil)
	env.OnActivity(acts.DescribeOwner, mock.Anything, mock.Anything).Return(activities.OwnerStatus{Running: true}, nil)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(signing.SignalEvent, ev("early", signing.EventSignerSigned, "ana@example.com"))
	}, time.Second)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(routing.SignalRegisterOwner, routing.OwnerRegistration{WorkflowID: "signing-p"})
	}, time.Hour)
	env.RegisterDelayedCallback(func() {
		st := routeState(t, env)
		require.Equal(t, "signing-p", st["owner"])
		require.Equal(t, false, st["published"], "not while the held event is on its way")
	}, time.Hour+30*time.Second)
	env.RegisterDelayedCallback(func() {
		st := routeState(t, env)
		require.Equal(t, true, st["published"])
		require.EqualValues(t, 1, st["forwarded"])
		env.CancelWorkflow()
	}, time.Hour+2*time.Minute)
	env.ExecuteWorkflow(ProcessRoute, routing.RouteInput{Provider: "arqsign", ProviderRef: ref})
}
