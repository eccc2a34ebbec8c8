package workflows

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/firmaflow/firmaflow/activities"
	"github.com/firmaflow/firmaflow/signing"
)

// heldEvents are events about different signers whose JSON leaves out
// fields others carry: decoding them into one reused value would hand the
// rejection's reason to the signature and every signer pointer to the last.
func heldEvents() []signing.Event {
	rejected := ev("h1", signing.EventRejected, "bruno@example.com")
	rejected.Signer.Name, rejected.Reason = "Bruno", "wrong amount"
	signedAna := ev("h2", signing.EventSignerSigned, "ana@example.com")
	signedAna.Signer.Name = "Ana"
	unnamed := ev("h3", signing.EventDeliveryFailed, "carla@example.com")
	return []signing.Event{rejected, signedAna, unnamed}
}

func requireHeldIntact(t *testing.T, got []signing.Event) {
	t.Helper()
	want := heldEvents()
	require.Len(t, got, len(want))
	for i := range want {
		require.Equal(t, want[i].Key, got[i].Key)
		require.Equal(t, want[i].Type, got[i].Type, got[i].Key)
		require.Equal(t, *want[i].Signer, *got[i].Signer, "event %s keeps its own signer", got[i].Key)
		require.Equal(t, want[i].Reason, got[i].Reason, "event %s keeps its own reason", got[i].Key)
	}
	require.NotSame(t, got[0].Signer, got[1].Signer)
}

func TestContinueAsNewCarriesEachPendingEventIntact(t *testing.T) {
	defer func(n int) { eventsPerRun = n }(eventsPerRun)
	eventsPerRun = 1

	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(SigningProcess)
	env.RegisterActivity(acts)
	// The events pile up while the send is still running.
	env.OnActivity(acts.Send, mock.Anything, mock.Anything).After(time.Minute).Return(activities.SendOutput{ProviderRef: ref}, nil).Once()
	quietReconcile(env)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(signing.SignalEvent, ev("first", signing.EventStarted, ""))
		for _, e := range heldEvents() {
			env.SignalWorkflow(signing.SignalEvent, e)
		}
	}, time.Second)
	env.ExecuteWorkflow(SigningProcess, ProcessInput{Input: testInput()})
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(env.GetWorkflowError(), &can), "continues as new: %v", env.GetWorkflowError())
	var next ProcessInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	requireHeldIntact(t, next.Continued.Pending)
}

func TestInboxForwardsEachHeldEventIntact(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(EventInbox)
	env.RegisterActivity(acts)
	ownerAt := env.Now().Add(time.Hour)
	env.OnActivity(acts.FindOwner, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.OwnerQuery) (activities.Owner, error) {
			if env.Now().Before(ownerAt) {
				return activities.Owner{}, nil
			}
			return activities.Owner{WorkflowID: "signing-p", Running: true}, nil
		})
	var forwarded []signing.Event
	env.OnActivity(acts.ForwardEvents, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.ForwardInput) error {
			forwarded = append(forwarded, in.Events...)
			return nil
		})
	env.RegisterDelayedCallback(func() {
		for _, e := range heldEvents() {
			env.SignalWorkflow(signing.SignalEvent, e)
		}
	}, time.Second)
	env.ExecuteWorkflow(EventInbox, InboxInput{Provider: "arqsign", ProviderRef: ref})
	require.NoError(t, env.GetWorkflowError())
	requireHeldIntact(t, forwarded)
}

// Events carried over by continue-as-new are applied to the right signers
// in the next run: nobody is left pending who signed.
func TestPendingEventsApplyToTheirOwnSignersAfterContinueAsNew(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(SigningProcess)
	env.RegisterActivity(acts)
	quietReconcile(env)
	in := ProcessInput{Input: testInput().WithDefaults()}
	st := signing.State{ProcessID: in.ProcessID, Provider: in.Provider, ProviderRef: ref, Status: signing.StatusAwaitingSignatures}
	for _, sg := range in.Signers {
		st.Signers = append(st.Signers, signing.SignerState{Signer: sg, Status: signing.SignerPending})
	}
	in.Continued = &Continuation{State: st, Runs: 1}
	for i := range 320 {
		who := "ana@example.com"
		if i%2 == 1 {
			who = "bruno@example.com"
		}
		in.Continued.Pending = append(in.Continued.Pending, ev("dup-"+who, signing.EventSignerSigned, who))
	}
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(signing.QueryState)
		require.NoError(t, err)
		var got signing.State
		require.NoError(t, v.Get(&got))
		for _, sg := range got.Signers {
			require.Equal(t, signing.SignerSigned, sg.Status, sg.Email)
		}
		env.CancelWorkflow()
	}, time.Minute)
	env.OnActivity(acts.Cancel, mock.Anything, mock.Anything).Return(nil).Once()
	env.SetContinuedExecutionRunID("previous-run")
	env.ExecuteWorkflow(SigningProcess, in)
	require.NoError(t, env.GetWorkflowError())
}
