package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	sdkpb "go.temporal.io/api/sdk/v1"
	"go.temporal.io/sdk/temporal"

	"github.com/firmaflow/firmaflow/activities"

	"github.com/firmaflow/firmaflow/signing"
)

// ArqSIGN's notices of a first and a second expiry can be word for word the
// same: the second, after a renewal, still renews.
func TestSecondExpiryWithTheSameKeyRenewsAgain(t *testing.T) {
	h := newHarness(t)
	h.renewals(2)
	h.expectFetch(1)
	h.expireAt(30*24*time.Hour, "same-expiry")
	h.expireAt(60*24*time.Hour, "same-expiry")
	h.at(61*24*time.Hour, completedEvent("c1"))
	in := testInput()
	in.Resend.MaxRenewals = 2
	res, err := h.run(in)
	require.NoError(t, err)
	require.Equal(t, signing.StatusCompleted, res.Status)
	require.Equal(t, 2, res.Renewals)
	h.env.AssertExpectations(t)
}

// A late copy of the first expiry, arriving after the renewal, is told
// apart by asking the provider: it never renews twice nor ends the process.
func TestLateCopyOfAnExpiryDoesNotRenewTwice(t *testing.T) {
	h := newHarness(t)
	h.renewals(1)
	h.expectFetch(1)
	h.expireAt(30*24*time.Hour, "x1")
	h.at(30*24*time.Hour+time.Minute, ev("x1", signing.EventExpired, ""))
	h.at(30*24*time.Hour+2*time.Minute, ev("x1-copy-with-new-key", signing.EventExpired, ""))
	h.at(31*24*time.Hour, completedEvent("c1"))
	in := testInput()
	in.Resend.MaxRenewals = 1
	res, err := h.run(in)
	require.NoError(t, err)
	require.Equal(t, signing.StatusCompleted, res.Status, res.Reason)
	require.Equal(t, 1, res.Renewals)
	h.env.AssertExpectations(t)
	h.env.AssertNotCalled(t, "Cancel", mock.Anything, mock.Anything)
}

// An expiry whose notice was lost is found by reconciliation, and renewed
// once, even when the notice turns up afterwards.
func TestReconciliationFindsAnExpiryAndRenewsOnce(t *testing.T) {
	h := newHarness(t)
	h.renewals(1)
	h.expectFetch(1)
	h.env.RegisterDelayedCallback(func() { h.providerStatus = signing.StatusExpired }, 10*time.Hour)
	h.at(5*24*time.Hour, ev("late-expiry-notice", signing.EventExpired, ""))
	h.at(6*24*time.Hour, completedEvent("c1"))
	res, err := h.run(testInput())
	require.NoError(t, err)
	require.Equal(t, signing.StatusCompleted, res.Status)
	require.Equal(t, 1, res.Renewals)
	h.env.AssertExpectations(t)
}

// A delivery-failure notice the provider dates before the last resend is
// stale: it neither uses up the resend limit nor cancels the process.
func TestStaleDeliveryFailureDoesNotUseUpTheLimit(t *testing.T) {
	h := newHarness(t)
	h.expectFetch(1)
	h.env.OnActivity(acts.Resend, mock.Anything, mock.Anything).Return(nil).Once()
	failedAt := h.env.Now().Add(time.Minute)
	first := ev("f1", signing.EventDeliveryFailed, "bruno@example.com")
	first.OccurredAt = failedAt
	h.at(time.Minute, first)
	// The provider's second notice of the same failure, with new content
	// (so a new key), arrives after the resend.
	stale := ev("f1-again", signing.EventDeliveryFailed, "bruno@example.com")
	stale.OccurredAt = failedAt
	h.at(30*time.Minute, stale)
	h.at(time.Hour, completedEvent("c1"))
	in := testInput()
	in.Resend.MaxResends = 1
	res, err := h.run(in)
	require.NoError(t, err)
	require.Equal(t, signing.StatusCompleted, res.Status, res.Reason)
	require.Equal(t, 1, res.Resends)
	h.env.AssertExpectations(t)
	h.env.AssertNotCalled(t, "Cancel", mock.Anything, mock.Anything)
}

// Without a resend_policy the documented default applies: 3 resends, 1
// renewal. One delivery failure resends; it does not end the process.
func TestDefaultResendPolicyApplies(t *testing.T) {
	h := newHarness(t)
	h.expectFetch(1)
	h.env.OnActivity(acts.Resend, mock.Anything, mock.Anything).Return(nil).Once()
	h.at(time.Minute, ev("f1", signing.EventDeliveryFailed, "bruno@example.com"))
	h.at(time.Hour, completedEvent("c1"))
	in := testInput()
	in.Resend = signing.ResendPolicy{}
	res, err := h.run(in)
	require.NoError(t, err)
	require.Equal(t, signing.StatusCompleted, res.Status, res.Reason)
	require.Equal(t, 1, res.Resends)
	h.env.AssertExpectations(t)
	h.env.AssertNotCalled(t, "Cancel", mock.Anything, mock.Anything)
}

// Giving up on delivery after a failed resend withdraws the process.
func TestFailedResendWithdrawsTheProcess(t *testing.T) {
	h := newHarness(t)
	h.env.OnActivity(acts.Resend, mock.Anything, mock.Anything).Return(errPermanent("mailbox gone")).Once()
	h.env.OnActivity(acts.Cancel, mock.Anything, mock.Anything).Return(nil).Once()
	h.at(time.Minute, ev("f1", signing.EventDeliveryFailed, "bruno@example.com"))
	res, err := h.run(testInput())
	require.NoError(t, err)
	require.Equal(t, signing.StatusDeliveryFailed, res.Status)
	require.Contains(t, res.Reason, "mailbox gone")
	h.env.AssertExpectations(t)
}

// The UI's current details follow every change, not only status changes.
func TestCurrentDetailsFollowEachSignature(t *testing.T) {
	h := newHarness(t)
	details := func() string {
		v, err := h.env.QueryWorkflow("__temporal_workflow_metadata")
		require.NoError(t, err)
		var md sdkpb.WorkflowMetadata
		require.NoError(t, v.Get(&md))
		return md.GetCurrentDetails()
	}
	h.at(time.Hour, ev("s1", signing.EventSignerSigned, "ana@example.com"))
	h.env.RegisterDelayedCallback(func() { require.Contains(t, details(), "1/2 signed") }, 2*time.Hour)
	h.at(3*time.Hour, ev("s2", signing.EventSignerSigned, "bruno@example.com"))
	h.env.RegisterDelayedCallback(func() {
		require.Contains(t, details(), "2/2 signed")
		h.env.SignalWorkflow(signing.SignalEvent, ev("x", signing.EventCancelled, ""))
	}, 4*time.Hour)
	_, err := h.run(testInput())
	require.NoError(t, err)
}

func errPermanent(msg string) error {
	return temporal.NewNonRetryableApplicationError(msg, activities.ErrTypeProvider, nil)
}
