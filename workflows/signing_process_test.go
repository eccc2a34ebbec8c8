package workflows

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/firmaflow/firmaflow/activities"
	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/signing"
)

const ref = "PROC-1"

func testInput() signing.Input {
	return signing.Input{
		ProcessID: "p-1",
		Provider:  "arqsign",
		Title:     "Lease",
		Documents: []signing.DocumentRef{{Name: "lease.pdf", Key: "inbox/lease.pdf"}},
		Signers: []signing.Signer{
			{Name: "Ana", Email: "ana@example.com", Order: 1},
			{Name: "Bruno", Email: "bruno@example.com", Order: 2},
		},
		Resend: signing.ResendPolicy{MaxResends: 2, MaxRenewals: 1, Backoff: signing.Duration(time.Minute)},
	}
}

func ev(key string, typ signing.EventType, email string) signing.Event {
	e := signing.Event{Key: key, Provider: "arqsign", ProviderRef: ref, Type: typ}
	if email != "" {
		e.Signer = &signing.SignerRef{Email: email}
	}
	return e
}

func completedEvent(key string) signing.Event {
	e := ev(key, signing.EventCompleted, "")
	e.Documents = []signing.EventDocument{{Kind: signing.KindSigned, Name: "lease-signed.pdf", URL: "http://sim/doc"}}
	return e
}

var storedDocs = []signing.StoredDocument{{Kind: signing.KindSigned, Name: "lease-signed.pdf", Key: "processes/p-1/signed/00-lease-signed.pdf", Size: 42, SHA256: "ab"}}

type harness struct {
	t   *testing.T
	env *testsuite.TestWorkflowEnvironment
	// providerStatus is what the provider answers when asked (Reconcile);
	// reconciles counts the questions.
	providerStatus signing.Status
	reconciles     int
}

func newHarness(t *testing.T) *harness {
	h := newHarnessWithoutSend(t)
	h.env.OnActivity(acts.Send, mock.Anything, mock.Anything).Return(activities.SendOutput{ProviderRef: ref}, nil).Once()
	return h
}

func newHarnessWithoutSend(t *testing.T) *harness {
	var s testsuite.WorkflowTestSuite
	return harnessOn(t, s.NewTestWorkflowEnvironment())
}

// harnessOn builds the harness on env (a test that sets its suite's
// metrics handler builds env itself).
func harnessOn(t *testing.T, env *testsuite.TestWorkflowEnvironment) *harness {
	env.RegisterWorkflow(SigningProcess)
	env.RegisterActivity(acts)
	h := &harness{t: t, env: env, providerStatus: signing.StatusAwaitingSignatures}
	env.OnActivity(acts.Reconcile, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.ProviderCall) (providers.Snapshot, error) {
			h.reconciles++
			return providers.Snapshot{Status: h.providerStatus}, nil
		}).Maybe()
	return h
}

// expireAt makes the provider expire the process after d and notify it.
// signedByBothThenCompleted scripts the plain process: both signers sign,
// an hour apart, the provider completes it, and its documents are fetched.
func (h *harness) signedByBothThenCompleted() {
	h.expectFetch(1)
	h.at(time.Hour, ev("e1", signing.EventSignerSigned, "ana@example.com"))
	h.at(2*time.Hour, ev("e2", signing.EventSignerSigned, "bruno@example.com"))
	h.at(3*time.Hour, completedEvent("e3"))
}

func (h *harness) expireAt(d time.Duration, key string) {
	h.env.RegisterDelayedCallback(func() {
		h.providerStatus = signing.StatusExpired
		h.env.SignalWorkflow(signing.SignalEvent, ev(key, signing.EventExpired, ""))
	}, d)
}

// renewals answers Renew like a provider: the process is no longer expired.
func (h *harness) renewals(times int) {
	h.env.OnActivity(acts.Renew, mock.Anything, mock.Anything).Return(func(context.Context, activities.ProviderCall) error {
		h.providerStatus = signing.StatusAwaitingSignatures
		return nil
	}).Times(times)
}

// quietReconcile answers reconciliations with "nothing new".
func quietReconcile(env *testsuite.TestWorkflowEnvironment) {
	env.OnActivity(acts.Reconcile, mock.Anything, mock.Anything).Return(providers.Snapshot{Status: signing.StatusAwaitingSignatures}, nil).Maybe()
}

// at delivers an event after d of workflow time.
func (h *harness) at(d time.Duration, e signing.Event) {
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(signing.SignalEvent, e) }, d)
}

func (h *harness) run(in signing.Input) (signing.Result, error) {
	h.env.ExecuteWorkflow(SigningProcess, ProcessInput{Input: in})
	require.True(h.t, h.env.IsWorkflowCompleted())
	var res signing.Result
	err := h.env.GetWorkflowError()
	if err == nil {
		require.NoError(h.t, h.env.GetWorkflowResult(&res))
	}
	return res, err
}

func (h *harness) state() signing.State {
	v, err := h.env.QueryWorkflow(signing.QueryState)
	require.NoError(h.t, err)
	var st signing.State
	require.NoError(h.t, v.Get(&st))
	return st
}

func (h *harness) expectFetch(times int) {
	h.env.OnActivity(acts.FetchDocuments, mock.Anything, mock.MatchedBy(func(in activities.FetchInput) bool {
		return in.ProviderRef == ref && len(in.Documents) == 1 && in.Documents[0].URL == "http://sim/doc"
	})).Return(storedDocs, nil).Times(times)
}

func TestCompletes(t *testing.T) {
	h := newHarness(t)
	h.signedByBothThenCompleted()
	res, err := h.run(testInput())
	require.NoError(t, err)
	require.Equal(t, signing.StatusCompleted, res.Status)
	require.Equal(t, ref, res.ProviderRef)
	require.Equal(t, storedDocs, res.Documents)
	st := h.state()
	require.Equal(t, signing.StatusCompleted, st.Status)
	for _, s := range st.Signers {
		require.Equal(t, signing.SignerSigned, s.Status, s.Email)
	}
	require.Len(t, st.Events, 3)
	h.env.AssertExpectations(t)
}

func TestStateQueryWhileWaiting(t *testing.T) {
	h := newHarness(t)
	h.at(time.Hour, ev("e1", signing.EventSignerSigned, "ana@example.com"))
	h.env.RegisterDelayedCallback(func() {
		st := h.state()
		require.Equal(t, signing.StatusAwaitingSignatures, st.Status)
		require.Equal(t, ref, st.ProviderRef)
		require.Equal(t, signing.SignerSigned, st.Signers[0].Status)
		require.Equal(t, signing.SignerPending, st.Signers[1].Status)
		h.env.SignalWorkflow(signing.SignalEvent, ev("e9", signing.EventCancelled, ""))
	}, 2*time.Hour)
	res, err := h.run(testInput())
	require.NoError(t, err)
	require.Equal(t, signing.StatusCancelled, res.Status)
}

func TestDeliveryFailureResendsThenCompletes(t *testing.T) {
	h := newHarness(t)
	h.expectFetch(1)
	var resentAt time.Time
	h.env.OnActivity(acts.Resend, mock.Anything, activities.ProviderCall{Provider: "arqsign", ProviderRef: ref}).
		Run(func(mock.Arguments) { resentAt = h.env.Now() }).Return(nil).Once()
	start := h.env.Now()
	h.at(time.Minute, ev("f1", signing.EventDeliveryFailed, "bruno@example.com"))
	h.env.RegisterDelayedCallback(func() {
		st := h.state()
		require.Equal(t, signing.SignerDeliveryFailed, st.Signers[1].Status)
		require.False(t, st.NextResendAt.IsZero(), "a resend is scheduled")
	}, time.Minute+time.Second)
	h.at(time.Hour, completedEvent("c1"))
	res, err := h.run(testInput())
	require.NoError(t, err)
	require.Equal(t, signing.StatusCompleted, res.Status)
	require.Equal(t, 1, res.Resends)
	// The resend waited for the policy's backoff after the failure.
	require.WithinDuration(t, start.Add(2*time.Minute), resentAt, time.Second)
	h.env.AssertExpectations(t)
}

func TestDeliveryFailureBackoffDoublesAndIsBounded(t *testing.T) {
	h := newHarness(t)
	var resends []time.Time
	h.env.OnActivity(acts.Resend, mock.Anything, mock.Anything).Run(func(mock.Arguments) { resends = append(resends, h.env.Now()) }).Return(nil).Times(2)
	h.env.OnActivity(acts.Cancel, mock.Anything, mock.MatchedBy(func(c activities.ProviderCall) bool { return c.ProviderRef == ref })).Return(nil).Once()
	start := h.env.Now()
	h.at(0, ev("f1", signing.EventDeliveryFailed, "bruno@example.com"))
	h.at(10*time.Minute, ev("f2", signing.EventDeliveryFailed, "bruno@example.com"))
	h.at(20*time.Minute, ev("f3", signing.EventDeliveryFailed, "bruno@example.com"))
	res, err := h.run(testInput())
	require.NoError(t, err)
	require.Equal(t, signing.StatusDeliveryFailed, res.Status)
	require.Equal(t, 2, res.Resends)
	require.Len(t, resends, 2)
	require.WithinDuration(t, start.Add(time.Minute), resends[0], time.Second)
	require.WithinDuration(t, start.Add(12*time.Minute), resends[1], time.Second, "second backoff doubles to 2m")
	require.Contains(t, res.Reason, "delivery failed after 2 resends")
	h.env.AssertExpectations(t)
}

func TestExpiryRenewsThenCompletes(t *testing.T) {
	h := newHarness(t)
	h.expectFetch(1)
	h.env.OnActivity(acts.Renew, mock.Anything, activities.ProviderCall{Provider: "arqsign", ProviderRef: ref, ExpiresInDays: 30, Notice: "x1"}).
		Return(func(context.Context, activities.ProviderCall) error {
			h.providerStatus = signing.StatusAwaitingSignatures
			return nil
		}).Once()
	h.expireAt(30*24*time.Hour, "x1")
	h.at(31*24*time.Hour, completedEvent("c1"))
	res, err := h.run(testInput())
	require.NoError(t, err)
	require.Equal(t, signing.StatusCompleted, res.Status)
	require.Equal(t, 1, res.Renewals)
	h.env.AssertExpectations(t)
}

func TestExpiryPastTheBoundEndsExpired(t *testing.T) {
	h := newHarness(t)
	h.renewals(1)
	// Giving up withdraws the process at the provider.
	h.env.OnActivity(acts.Cancel, mock.Anything, mock.MatchedBy(func(c activities.ProviderCall) bool { return c.ProviderRef == ref })).Return(nil).Once()
	h.expireAt(30*24*time.Hour, "x1")
	h.expireAt(60*24*time.Hour, "x2")
	res, err := h.run(testInput())
	require.NoError(t, err)
	require.Equal(t, signing.StatusExpired, res.Status)
	require.Equal(t, 1, res.Renewals)
	require.Contains(t, res.Reason, "expired after 1 renewals")
	require.Empty(t, res.WithdrawError)
	h.env.AssertExpectations(t)
}

func TestRejectedCarriesReason(t *testing.T) {
	h := newHarness(t)
	e := ev("r1", signing.EventRejected, "bruno@example.com")
	e.Reason = "wrong address"
	h.at(time.Hour, e)
	res, err := h.run(testInput())
	require.NoError(t, err)
	require.Equal(t, signing.StatusRejected, res.Status)
	require.Equal(t, "wrong address", res.Reason)
	require.Equal(t, "bruno@example.com", res.RejectedBy.Email)
	require.Equal(t, signing.SignerRejected, h.state().Signers[1].Status)
}

func TestProviderCancel(t *testing.T) {
	h := newHarness(t)
	h.at(time.Hour, ev("k1", signing.EventCancelled, ""))
	res, err := h.run(testInput())
	require.NoError(t, err)
	require.Equal(t, signing.StatusCancelled, res.Status)
	require.Equal(t, "cancelled at the provider", res.Reason)
}

type updateResult struct {
	accepted, rejected bool
	err                error
	state              signing.State
}

func (h *harness) cancelAt(d time.Duration, reason string, out *updateResult) {
	h.env.RegisterDelayedCallback(func() {
		h.env.UpdateWorkflow(signing.UpdateCancel, "", &testsuite.TestUpdateCallback{
			OnAccept: func() { out.accepted = true },
			OnReject: func(err error) { out.rejected, out.err = true, err },
			OnComplete: func(v any, err error) {
				out.err = err
				if st, ok := v.(signing.State); ok {
					out.state = st
				}
			},
		}, signing.CancelRequest{Reason: reason})
	}, d)
}

func TestUserCancel(t *testing.T) {
	h := newHarness(t)
	h.env.OnActivity(acts.Cancel, mock.Anything, activities.ProviderCall{Provider: "arqsign", ProviderRef: ref, Reason: "customer withdrew"}).Return(nil).Once()
	var upd, second updateResult
	h.cancelAt(time.Hour, "customer withdrew", &upd)
	h.cancelAt(time.Hour, "again", &second)
	// The provider confirms our cancel with its own webhook; it changes nothing.
	h.at(time.Hour+time.Minute, ev("k1", signing.EventCancelled, ""))
	res, err := h.run(testInput())
	require.NoError(t, err)
	require.True(t, upd.accepted)
	require.NoError(t, upd.err)
	require.Equal(t, signing.StatusCancelled, upd.state.Status)
	require.Equal(t, signing.StatusCancelled, res.Status)
	require.Equal(t, "cancelled by requester: customer withdrew", res.Reason)
	require.True(t, second.rejected, "a second cancel while one runs is rejected")
	require.ErrorContains(t, second.err, "already in progress")
	h.env.AssertExpectations(t)
}

func TestCancelValidatorRejectsEndedProcess(t *testing.T) {
	for _, st := range []signing.Status{signing.StatusCompleted, signing.StatusRejected, signing.StatusCancelled, signing.StatusExpired, signing.StatusDeliveryFailed, signing.StatusFailed} {
		p := &process{state: signing.State{Status: st}}
		require.ErrorContains(t, p.validateCancel(nil, signing.CancelRequest{Reason: "x"}), "already ended", st)
	}
	p := &process{state: signing.State{Status: signing.StatusAwaitingSignatures}}
	require.NoError(t, p.validateCancel(nil, signing.CancelRequest{Reason: "x"}))
}

func TestUserCancelValidation(t *testing.T) {
	h := newHarness(t)
	var empty updateResult
	h.cancelAt(time.Minute, "  ", &empty)
	h.at(time.Hour, ev("k1", signing.EventCancelled, ""))
	_, err := h.run(testInput())
	require.NoError(t, err)
	require.True(t, empty.rejected)
	require.ErrorContains(t, empty.err, "reason is required")
}

func TestUserCancelProviderRefusesKeepsProcessRunning(t *testing.T) {
	h := newHarness(t)
	refusal := temporal.NewNonRetryableApplicationError("arqsign: cancel: HTTP 409: already signed", activities.ErrTypeProvider, nil)
	h.env.OnActivity(acts.Cancel, mock.Anything, mock.Anything).Return(refusal).Once()
	h.expectFetch(1)
	var upd updateResult
	h.cancelAt(time.Hour, "too late", &upd)
	h.at(2*time.Hour, completedEvent("c1"))
	res, err := h.run(testInput())
	require.NoError(t, err)
	require.True(t, upd.accepted)
	require.ErrorContains(t, upd.err, "already signed")
	require.Equal(t, signing.StatusCompleted, res.Status)
}

func TestDuplicateEventsHaveNoSecondEffect(t *testing.T) {
	h := newHarness(t)
	h.expectFetch(1)
	h.env.OnActivity(acts.Resend, mock.Anything, mock.Anything).Return(nil).Once()
	// The same delivery failure three times: one resend, not three.
	for i := 0; i < 3; i++ {
		h.at(time.Minute+time.Duration(i)*time.Second, ev("f1", signing.EventDeliveryFailed, "bruno@example.com"))
	}
	// After the resend the same failure again: still a duplicate.
	h.at(time.Hour, ev("f1", signing.EventDeliveryFailed, "bruno@example.com"))
	h.at(2*time.Hour, completedEvent("c1"))
	h.at(2*time.Hour, completedEvent("c1"))
	res, err := h.run(testInput())
	require.NoError(t, err)
	require.Equal(t, signing.StatusCompleted, res.Status)
	require.Equal(t, 1, res.Resends)
	dups := 0
	for _, r := range h.state().Events {
		if r.Effect == "duplicate" {
			dups++
		}
	}
	require.Equal(t, 3, dups)
	h.env.AssertExpectations(t)
}

func TestOutOfOrderCompletionBeforeSigned(t *testing.T) {
	h := newHarness(t)
	h.expectFetch(1)
	h.at(time.Hour, completedEvent("c1"))
	h.at(time.Hour, ev("s1", signing.EventSignerSigned, "ana@example.com"))
	res, err := h.run(testInput())
	require.NoError(t, err)
	require.Equal(t, signing.StatusCompleted, res.Status)
	for _, s := range h.state().Signers {
		require.Equal(t, signing.SignerSigned, s.Status)
	}
}

func TestEventsBeforeSendReturnsAreKept(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(SigningProcess)
	env.RegisterActivity(acts)
	quietReconcile(env)
	// The provider's "signed" and "completed" webhooks arrive while Send is still running.
	env.OnActivity(acts.Send, mock.Anything, mock.Anything).After(time.Minute).Return(activities.SendOutput{ProviderRef: ref}, nil)
	env.OnActivity(acts.FetchDocuments, mock.Anything, mock.Anything).Return(storedDocs, nil).Once()
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(signing.SignalEvent, completedEvent("c1")) }, time.Second)
	env.ExecuteWorkflow(SigningProcess, ProcessInput{Input: testInput()})
	require.NoError(t, env.GetWorkflowError())
	var res signing.Result
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, signing.StatusCompleted, res.Status)
}

func TestEventForAnotherProviderProcessIsIgnored(t *testing.T) {
	h := newHarness(t)
	other := ev("o1", signing.EventRejected, "ana@example.com")
	other.ProviderRef = "SOMEONE-ELSE"
	h.at(time.Minute, other)
	h.at(time.Hour, ev("k1", signing.EventCancelled, ""))
	res, err := h.run(testInput())
	require.NoError(t, err)
	require.Equal(t, signing.StatusCancelled, res.Status)
}

func TestSendFailureFailsWorkflowWithProviderMessage(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(SigningProcess)
	env.RegisterActivity(acts)
	apiErr := &providers.APIError{Provider: "arqsign", Op: "send", StatusCode: 400, Message: "email inválido"}
	env.OnActivity(acts.Send, mock.Anything, mock.Anything).Return(activities.SendOutput{},
		temporal.NewNonRetryableApplicationError(apiErr.Error(), activities.ErrTypeProvider, apiErr))
	env.ExecuteWorkflow(SigningProcess, ProcessInput{Input: testInput()})
	err := env.GetWorkflowError()
	require.Error(t, err)
	require.Contains(t, err.Error(), "email inválido")
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr))
}

func TestInvalidInputIsRejected(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(SigningProcess)
	in := testInput()
	in.Signers = nil
	env.ExecuteWorkflow(SigningProcess, ProcessInput{Input: in})
	require.ErrorContains(t, env.GetWorkflowError(), "at least one signer is required")
}

func TestAwaitingTokensChecksBackThenFinishesOnce(t *testing.T) {
	h := newHarness(t)
	h.expectFetch(1)
	balances := []int{0, 0, 5}
	var checks []time.Time
	h.env.OnActivity(acts.TokensAvailable, mock.Anything, mock.Anything).Return(
		func(_ context.Context, _ activities.ProviderCall) (int, error) {
			checks = append(checks, h.env.Now())
			n := balances[0]
			balances = balances[1:]
			return n, nil
		}).Times(3)
	h.env.OnActivity(acts.FinishReady, mock.Anything, activities.ProviderCall{Provider: "arqsign", ProviderRef: ref}).Return(true, nil).Once()
	start := h.env.Now()
	h.at(time.Hour, ev("s1", signing.EventSignerSigned, "ana@example.com"))
	h.at(time.Hour, ev("s2", signing.EventSignerSigned, "bruno@example.com"))
	notokens := signing.Event{Key: "nt1", Provider: "arqsign", Type: signing.EventAwaitingTokens, AccountWide: true}
	h.at(time.Hour+time.Minute, notokens)
	h.at(time.Hour+2*time.Minute, signing.Event{Key: "nt2", Provider: "arqsign", Type: signing.EventAwaitingTokens, AccountWide: true})
	h.env.RegisterDelayedCallback(func() {
		require.Equal(t, signing.StatusAwaitingTokens, h.state().Status)
	}, time.Hour+90*time.Second)
	h.at(5*time.Hour, completedEvent("c1"))
	res, err := h.run(testInput())
	require.NoError(t, err)
	require.Equal(t, signing.StatusCompleted, res.Status)
	require.Len(t, checks, 3)
	// Checks back after 1m, then 2m, then 4m: a doubling backoff.
	base := start.Add(time.Hour + time.Minute)
	require.WithinDuration(t, base.Add(time.Minute), checks[0], time.Second)
	require.WithinDuration(t, base.Add(3*time.Minute), checks[1], time.Second)
	require.WithinDuration(t, base.Add(7*time.Minute), checks[2], time.Second)
	st := h.state()
	require.True(t, st.FinishedWithTokens)
	require.Equal(t, 3, st.TokenChecks)
	h.env.AssertExpectations(t)
}

func TestArchiveOnlyProcessStoresResultsWithoutSending(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(SigningProcess)
	env.RegisterActivity(acts)
	quietReconcile(env)
	env.OnActivity(acts.FetchDocuments, mock.Anything, mock.MatchedBy(func(in activities.FetchInput) bool {
		return in.ProviderRef == "REF-OUTSIDE" && in.Documents[0].StoredKey == "webhooks/cellosign/x"
	})).Return(storedDocs, nil).Once()
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(signing.SignalEvent, signing.Event{Key: "a1", Provider: "cellosign", ProviderRef: "REF-OUTSIDE", Type: signing.EventCompleted,
			Documents: []signing.EventDocument{{Kind: signing.KindSigned, Name: "s.pdf", StoredKey: "webhooks/cellosign/x"}}})
	}, 0)
	in := ArchiveInput("cellosign", "REF-OUTSIDE")
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: signing.WorkflowID(in.ProcessID)})
	env.ExecuteWorkflow(SigningProcess, in)
	require.NoError(t, env.GetWorkflowError())
	var res signing.Result
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, signing.StatusCompleted, res.Status)
	require.Equal(t, "REF-OUTSIDE", res.ProviderRef)
	env.AssertExpectations(t)
	env.AssertNotCalled(t, "Send", mock.Anything, mock.Anything)
}

func TestUnsupportedRenewEndsExpired(t *testing.T) {
	h := newHarness(t)
	unsupported := temporal.NewNonRetryableApplicationError("autosign: renew is not supported by the provider's API", activities.ErrTypeUnsupported, nil)
	h.env.OnActivity(acts.Renew, mock.Anything, mock.Anything).Return(unsupported).Once()
	noCancel := temporal.NewNonRetryableApplicationError("autosign: cancel is not supported by the provider's API", activities.ErrTypeUnsupported, nil)
	h.env.OnActivity(acts.Cancel, mock.Anything, mock.Anything).Return(noCancel).Once()
	h.expireAt(time.Hour, "x1")
	res, err := h.run(testInput())
	require.NoError(t, err)
	require.Equal(t, signing.StatusExpired, res.Status)
	require.Contains(t, res.Reason, "not supported")
	require.Contains(t, res.WithdrawError, "cancel is not supported", "a failed withdrawal shows in the result")
	h.env.AssertExpectations(t)
}

func TestContinueAsNewCarriesStateKeysTimersAndPendingSignals(t *testing.T) {
	defer func(n int) { eventsPerRun = n }(eventsPerRun)
	eventsPerRun = 3

	// First run: three events, one of them a delivery failure that schedules a resend.
	h := newHarness(t)
	h.at(time.Minute, ev("s1", signing.EventSignerSigned, "ana@example.com"))
	h.at(2*time.Minute, ev("f1", signing.EventDeliveryFailed, "bruno@example.com"))
	h.at(2*time.Minute+time.Second, ev("s1", signing.EventSignerSigned, "ana@example.com"))
	h.env.ExecuteWorkflow(SigningProcess, ProcessInput{Input: testInput()})
	err := h.env.GetWorkflowError()
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(err, &can), "continues as new after %d events: %v", eventsPerRun, err)
	var next ProcessInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	c := next.Continued
	require.NotNil(t, c)
	require.Equal(t, 1, c.Runs)
	require.Equal(t, ref, c.State.ProviderRef)
	require.ElementsMatch(t, []string{"s1", "f1"}, c.SeenKeys)
	require.Equal(t, signing.SignerSigned, c.State.Signers[0].Status)
	require.False(t, c.State.NextResendAt.IsZero(), "the pending resend travels as a due time")

	// Second run: the same process continues; a redelivered old event is
	// still a duplicate, the resend fires at its original due time.
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(SigningProcess)
	env.RegisterActivity(acts)
	env.OnActivity(acts.Resend, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnActivity(acts.FetchDocuments, mock.Anything, mock.Anything).Return(storedDocs, nil).Once()
	quietReconcile(env)
	env.SetStartTime(h.env.Now())
	env.SetContinuedExecutionRunID("first-run")
	next.Continued.Pending = []signing.Event{ev("s1", signing.EventSignerSigned, "ana@example.com")}
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(signing.SignalEvent, completedEvent("c1")) }, time.Hour)
	env.ExecuteWorkflow(SigningProcess, next)
	require.NoError(t, env.GetWorkflowError())
	var res signing.Result
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, signing.StatusCompleted, res.Status)
	require.Equal(t, 1, res.Resends)
	v, err := env.QueryWorkflow(signing.QueryState)
	require.NoError(t, err)
	var st signing.State
	require.NoError(t, v.Get(&st))
	dups := 0
	for _, r := range st.Events {
		if r.Key == "s1" && r.Effect == "duplicate" {
			dups++
		}
	}
	require.Equal(t, 2, dups, "one duplicate before continuing, one carried as pending after")
	env.AssertExpectations(t)
}

func TestReconciliationCompletesWhenTheWebhookIsLost(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(SigningProcess)
	env.RegisterActivity(acts)
	env.OnActivity(acts.Send, mock.Anything, mock.Anything).Return(activities.SendOutput{ProviderRef: ref}, nil)
	var checks []time.Time
	env.OnActivity(acts.Reconcile, mock.Anything, activities.ProviderCall{Provider: "arqsign", ProviderRef: ref}).Return(
		func(context.Context, activities.ProviderCall) (providers.Snapshot, error) {
			checks = append(checks, env.Now())
			if len(checks) < 3 {
				return providers.Snapshot{Status: signing.StatusAwaitingSignatures, Signed: []signing.SignerRef{{Email: "ana@example.com"}}}, nil
			}
			return providers.Snapshot{Status: signing.StatusCompleted, Documents: []signing.EventDocument{{Kind: signing.KindSigned, Name: "x.pdf", URL: "http://sim/doc"}}}, nil
		})
	env.OnActivity(acts.FetchDocuments, mock.Anything, mock.Anything).Return(storedDocs, nil).Once()
	start := env.Now()
	// No webhook ever arrives.
	env.ExecuteWorkflow(SigningProcess, ProcessInput{Input: testInput()})
	require.NoError(t, env.GetWorkflowError())
	var res signing.Result
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, signing.StatusCompleted, res.Status)
	require.Len(t, checks, 3)
	require.WithinDuration(t, start.Add(time.Hour), checks[0], time.Second)
	require.WithinDuration(t, start.Add(3*time.Hour), checks[1], time.Second, "the interval doubles")
	require.WithinDuration(t, start.Add(7*time.Hour), checks[2], time.Second)
	v, _ := env.QueryWorkflow(signing.QueryState)
	var st signing.State
	require.NoError(t, v.Get(&st))
	applied := 0
	for _, e := range st.Events {
		if e.Key == "reconcile:signed:ana@example.com/" {
			applied++
		}
	}
	require.Equal(t, 1, applied, "a signature found by reconciliation is applied once")
}

func TestReconciliationFindsACancellation(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(SigningProcess)
	env.RegisterActivity(acts)
	env.OnActivity(acts.Send, mock.Anything, mock.Anything).Return(activities.SendOutput{ProviderRef: ref}, nil)
	env.OnActivity(acts.Reconcile, mock.Anything, mock.Anything).Return(providers.Snapshot{Status: signing.StatusCancelled, Reason: "sender cancelled"}, nil)
	h := &harness{t: t, env: env}
	h.at(2*time.Hour, ev("k1", signing.EventCancelled, ""))
	res, err := h.run(testInput())
	require.NoError(t, err)
	require.Equal(t, signing.StatusCancelled, res.Status)
	require.Equal(t, "sender cancelled", res.Reason)
}

func TestCallerIsNotifiedAtTheEnd(t *testing.T) {
	h := newHarness(t)
	h.env.OnActivity(acts.NotifyCallback, mock.Anything, mock.MatchedBy(func(in activities.CallbackInput) bool {
		return in.URL == "https://caller.example/hooks" && in.Result.Status == signing.StatusRejected && in.WorkflowID != ""
	})).Return(nil).Once()
	h.at(time.Hour, ev("r1", signing.EventRejected, "ana@example.com"))
	in := testInput()
	in.CallbackURL = "https://caller.example/hooks"
	res, err := h.run(in)
	require.NoError(t, err)
	require.Equal(t, signing.StatusRejected, res.Status)
	h.env.AssertExpectations(t)
}
