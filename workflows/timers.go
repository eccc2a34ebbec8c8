package workflows

import (
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/firmaflow/firmaflow/activities"
	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/signing"
)

// Caps of the doubling intervals. Doubling saturates at them, so a process
// that waits for months keeps its pace instead of overflowing into a
// timer that fires at once.
const (
	maxReconcileInterval  = 24 * time.Hour
	maxTokenCheckInterval = time.Hour
	maxResendBackoff      = 24 * time.Hour
)

// doubling is base·2ⁿ, saturating at limit: never negative, never past it.
func doubling(base time.Duration, n int, limit time.Duration) time.Duration {
	if base <= 0 {
		return limit
	}
	d := min(base, limit)
	for range max(n, 0) {
		if d >= limit/2 {
			return limit
		}
		d *= 2
	}
	return d
}

// startTimer arms a timer that stopping the process can cancel.
func startTimer(ctx workflow.Context, d time.Duration, summary string) (workflow.Future, workflow.CancelFunc) {
	timerCtx, cancel := workflow.WithCancel(ctx)
	return workflow.NewTimerWithOptions(timerCtx, d, workflow.TimerOptions{Summary: summary}), cancel
}

func (p *process) stopResendTimer() {
	if p.cancelResend != nil {
		p.cancelResend()
	}
	p.resendTimer, p.cancelResend = nil, nil
	p.state.NextResendAt = time.Time{}
}

func (p *process) scheduleReconcile(ctx workflow.Context) {
	wait := doubling(time.Duration(p.in.ReconcileEvery), p.state.Reconciliations, maxReconcileInterval)
	p.reconcileTimer, p.cancelReconcile = startTimer(ctx, wait, "reconcile with provider")
	p.state.NextReconcileAt = workflow.Now(ctx).Add(wait)
}

func (p *process) stopReconcileTimer() {
	if p.cancelReconcile != nil {
		p.cancelReconcile()
	}
	p.reconcileTimer, p.cancelReconcile = nil, nil
	p.state.NextReconcileAt = time.Time{}
}

// reconcileKeyPrefix starts the keys of events reconciliation makes up.
const reconcileKeyPrefix = "reconcile:"

// reconcile asks the provider where the process stands and feeds what the
// notifications missed into the same event path, with keys of its own so
// that a late webhook for the same transition has no second effect on
// terminal states. An expiry it finds is keyed by the renewal round, so it
// renews at most once per round whoever reports it first.
func (p *process) reconcile(ctx workflow.Context) error {
	p.state.Reconciliations++
	p.state.NextReconcileAt = time.Time{}
	var snap providers.Snapshot
	err := workflow.ExecuteActivity(withOptions(ctx, "reconcile with provider", readTimeouts), acts.Reconcile,
		activities.ProviderCall{Provider: p.in.Provider, ProviderRef: p.state.ProviderRef}).Get(ctx, &snap)
	if err != nil {
		workflow.GetLogger(ctx).Warn("reconciliation failed; trying later", "error", err)
		p.scheduleReconcile(ctx)
		return nil
	}
	base := signing.Event{Provider: p.in.Provider, ProviderRef: p.state.ProviderRef, OccurredAt: workflow.Now(ctx)}
	for _, who := range snap.Signed {
		if p.signerStatus(who) != signing.SignerSigned {
			ev := base
			ev.Key, ev.Type, ev.Signer = reconcileKeyPrefix+"signed:"+strings.ToLower(who.Email+"/"+who.Name), signing.EventSignerSigned, &who
			if err := p.handleEvent(ctx, ev); err != nil {
				return err
			}
		}
	}
	ev := base
	switch {
	case snap.Status == signing.StatusCompleted && len(snap.Documents) > 0:
		ev.Key, ev.Type, ev.Documents = reconcileKeyPrefix+"completed", signing.EventCompleted, snap.Documents
	case snap.Status == signing.StatusRejected:
		ev.Key, ev.Type, ev.Reason, ev.Signer = reconcileKeyPrefix+"rejected", signing.EventRejected, snap.Reason, snap.RejectedBy
	case snap.Status == signing.StatusCancelled:
		ev.Key, ev.Type, ev.Reason = reconcileKeyPrefix+"cancelled", signing.EventCancelled, snap.Reason
	case snap.Status == signing.StatusExpired && p.rounds:
		ev.Key, ev.Type = reconcileKeyPrefix+"expired", signing.EventExpired
	}
	if ev.Type != "" && !p.state.Status.Terminal() {
		if err := p.handleEvent(ctx, ev); err != nil {
			return err
		}
	}
	if !p.state.Status.Terminal() {
		p.scheduleReconcile(ctx)
	}
	return nil
}

func (p *process) onAwaitingTokens(ctx workflow.Context, ev signing.Event) {
	if p.tokenTimer != nil {
		p.record(ctx, ev, "applied: already waiting for tokens")
		return
	}
	p.record(ctx, ev, "applied: waiting for tokens")
	p.setStatus(ctx, signing.StatusAwaitingTokens)
	p.scheduleTokenCheck(ctx)
}

func (p *process) scheduleTokenCheck(ctx workflow.Context) {
	wait := doubling(time.Duration(p.in.Resend.Backoff), p.state.TokenChecks, maxTokenCheckInterval)
	p.tokenTimer, p.cancelTokens = startTimer(ctx, wait, "token balance check")
	p.state.NextTokenCheckAt = workflow.Now(ctx).Add(wait)
}

// checkTokens asks the provider for the account's balance; with tokens back
// it finishes this process's document if it waits as ready. FinishReady only
// spends a token for a document that is ready, so a retry never spends two.
func (p *process) checkTokens(ctx workflow.Context) {
	p.state.TokenChecks++
	p.state.NextTokenCheckAt = time.Time{}
	call := activities.ProviderCall{Provider: p.in.Provider, ProviderRef: p.state.ProviderRef}
	var tokens int
	err := workflow.ExecuteActivity(withOptions(ctx, "check token balance", readTimeouts), acts.TokensAvailable, call).Get(ctx, &tokens)
	if err != nil || tokens <= 0 {
		if err != nil {
			workflow.GetLogger(ctx).Warn("token balance check failed", "error", err)
		}
		p.scheduleTokenCheck(ctx)
		return
	}
	var finished bool
	err = workflow.ExecuteActivity(withOptions(ctx, "finish ready document", providerCallTimeouts), acts.FinishReady, call).Get(ctx, &finished)
	if err != nil {
		workflow.GetLogger(ctx).Warn("finishing the ready document failed", "error", err)
		p.scheduleTokenCheck(ctx)
		return
	}
	p.state.FinishedWithTokens = p.state.FinishedWithTokens || finished
	p.setStatus(ctx, signing.StatusAwaitingSignatures)
}

func (p *process) stopTokenTimer() {
	if p.cancelTokens != nil {
		p.cancelTokens()
	}
	p.tokenTimer, p.cancelTokens = nil, nil
	p.state.NextTokenCheckAt = time.Time{}
}
