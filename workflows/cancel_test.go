package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/firmaflow/firmaflow/activities"
	"github.com/firmaflow/firmaflow/signing"
)

func withdrawal(h *harness, err error) {
	h.env.OnActivity(acts.Cancel, mock.Anything, mock.MatchedBy(func(c activities.ProviderCall) bool {
		return c.ProviderRef == ref && c.Reason == TemporalCancelReason
	})).Return(err).Once()
}

// The UI's "Request Cancellation" and `temporal workflow cancel` cancel the
// process: withdrawn at the provider, ended cancelled with a result.
func TestTemporalCancelWithdrawsAndEndsCancelled(t *testing.T) {
	h := newHarness(t)
	withdrawal(h, nil)
	h.at(time.Hour, ev("s1", signing.EventSignerSigned, "ana@example.com"))
	h.env.RegisterDelayedCallback(h.env.CancelWorkflow, 2*time.Hour)
	// A completion that comes after the cancel has no effect.
	h.at(3*time.Hour, completedEvent("c1"))
	res, err := h.run(testInput())
	require.NoError(t, err)
	require.Equal(t, signing.StatusCancelled, res.Status)
	require.Equal(t, TemporalCancelReason, res.Reason)
	require.Equal(t, ref, res.ProviderRef)
	require.Empty(t, res.Documents)
	st := h.state()
	require.Equal(t, signing.SignerSigned, st.Signers[0].Status)
	require.Equal(t, signing.SignerPending, st.Signers[1].Status)
	h.env.AssertExpectations(t)
	h.env.AssertNotCalled(t, "FetchDocuments", mock.Anything, mock.Anything)
}

// A cancel that arrives while the send runs lets the send finish, then
// withdraws what it opened: no provider process is left behind.
func TestTemporalCancelDuringSendWithdrawsTheSentProcess(t *testing.T) {
	h := newHarnessWithoutSend(t)
	h.env.OnActivity(acts.Send, mock.Anything, mock.Anything).After(time.Minute).Return(activities.SendOutput{ProviderRef: ref}, nil).Once()
	withdrawal(h, nil)
	h.env.RegisterDelayedCallback(h.env.CancelWorkflow, time.Second)
	res, err := h.run(testInput())
	require.NoError(t, err)
	require.Equal(t, signing.StatusCancelled, res.Status)
	require.Equal(t, ref, res.ProviderRef)
	h.env.AssertExpectations(t)
}

func TestTemporalCancelShowsARefusedWithdrawal(t *testing.T) {
	h := newHarness(t)
	withdrawal(h, temporal.NewNonRetryableApplicationError("only drafts can be deleted", activities.ErrTypeProvider, nil))
	h.env.RegisterDelayedCallback(h.env.CancelWorkflow, time.Hour)
	res, err := h.run(testInput())
	require.NoError(t, err)
	require.Equal(t, signing.StatusCancelled, res.Status)
	require.Contains(t, res.WithdrawError, "only drafts can be deleted")
	require.Contains(t, h.state().WithdrawError, "only drafts")
}
