package workflows

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/firmaflow/firmaflow/activities"
	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/signing"
)

func permutations(events []signing.Event) [][]signing.Event {
	if len(events) <= 1 {
		return [][]signing.Event{events}
	}
	var out [][]signing.Event
	for i := range events {
		rest := append(append([]signing.Event(nil), events[:i]...), events[i+1:]...)
		for _, p := range permutations(rest) {
			out = append(out, append([]signing.Event{events[i]}, p...))
		}
	}
	return out
}

func threeSigners() signing.Input {
	in := testInput()
	in.Signers = append(in.Signers, signing.Signer{Name: "Carla", Email: "carla@example.com", Order: 3})
	return in
}

// The end does not depend on the order the provider's notifications
// arrive in: Ana and Bruno signed and Carla refused, whichever came first.
func TestEndDoesNotDependOnArrivalOrder(t *testing.T) {
	rejected := ev("r", signing.EventRejected, "carla@example.com")
	rejected.Reason = "wrong amount"
	events := []signing.Event{
		ev("a", signing.EventSignerSigned, "ana@example.com"),
		ev("b", signing.EventSignerSigned, "bruno@example.com"),
		rejected,
		ev("a", signing.EventSignerSigned, "ana@example.com"), // a redelivery
	}
	for i, order := range permutations(events) {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			h := newHarness(t)
			h.env.RegisterDelayedCallback(func() {
				for _, e := range order {
					h.env.SignalWorkflow(signing.SignalEvent, e)
				}
			}, time.Minute)
			res, err := h.run(threeSigners())
			require.NoError(t, err)
			require.Equal(t, signing.StatusRejected, res.Status)
			require.Equal(t, "wrong amount", res.Reason)
			require.Equal(t, "carla@example.com", res.RejectedBy.Email)
			got := map[string]signing.SignerStatus{}
			for _, s := range h.state().Signers {
				got[s.Email] = s.Status
			}
			require.Equal(t, map[string]signing.SignerStatus{
				"ana@example.com": signing.SignerSigned, "bruno@example.com": signing.SignerSigned,
				"carla@example.com": signing.SignerRejected,
			}, got, "order %v", keys(order))
		})
	}
}

func keys(evs []signing.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Key)
	}
	return out
}

// A signature whose webhook is still on its way when the process ends (it
// would reach a closed run) is taken from the provider when settling.
func TestEndTakesSignaturesStillOnTheirWayFromTheProvider(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	h := &harness{t: t, env: s.NewTestWorkflowEnvironment()}
	h.env.RegisterWorkflow(SigningProcess)
	h.env.RegisterActivity(acts)
	h.env.OnActivity(acts.Send, mock.Anything, mock.Anything).Return(activities.SendOutput{ProviderRef: ref}, nil).Once()
	h.env.OnActivity(acts.Cancel, mock.Anything, mock.Anything).Return(nil).Maybe()
	settled := 0
	h.env.OnActivity(acts.Reconcile, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.ProviderCall) (providers.Snapshot, error) {
			settled++
			return providers.Snapshot{Status: signing.StatusCancelled, Signed: []signing.SignerRef{{Name: "Ana", Email: "ana@example.com"}}}, nil
		})
	h.at(time.Minute, ev("c", signing.EventCancelled, ""))
	res, err := h.run(testInput())
	require.NoError(t, err)
	require.Equal(t, signing.StatusCancelled, res.Status)
	signers := h.state().Signers
	require.Equal(t, signing.SignerSigned, signers[0].Status, "Ana signed before the cancel")
	require.Equal(t, signing.SignerPending, signers[1].Status)
	require.Equal(t, 1, settled)
}
