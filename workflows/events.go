package workflows

import (
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/firmaflow/firmaflow/activities"
	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/signing"
	"github.com/firmaflow/firmaflow/telemetry"
)

// handleEvent applies one provider event. It returns an error only when the
// process failed and the workflow should report failure.
func (p *process) handleEvent(ctx workflow.Context, ev signing.Event) error {
	// What the event causes is traced under its signal (the webhook's trace).
	ctx = telemetry.EventContext(ctx, ev.Key)
	if ev.Key == "" {
		ev.Key = fmt.Sprintf("%s:%s:%s:%s", ev.Provider, ev.ProviderRef, ev.Type, signerKey(ev.Signer))
	}
	key := p.effectKey(ev)
	if p.seen[key] {
		p.record(ctx, ev, "duplicate")
		return nil
	}
	p.remember(key)
	if !ev.AccountWide && ev.ProviderRef != "" && ev.ProviderRef != p.state.ProviderRef {
		p.record(ctx, ev, "ignored: event for provider process "+ev.ProviderRef)
		return nil
	}
	if p.state.Status.Terminal() {
		p.record(ctx, ev, "ignored: process already ended")
		return nil
	}

	switch ev.Type {
	case signing.EventCreated, signing.EventStarted, signing.EventResent, signing.EventSealing:
		p.record(ctx, ev, "applied")
	case signing.EventAwaitingTokens:
		p.onAwaitingTokens(ctx, ev)
	case signing.EventSignerSigned:
		p.markSigner(ev.Signer, signing.SignerSigned, workflow.Now(ctx))
		p.record(ctx, ev, "applied")
		p.touch(ctx)
	case signing.EventDeliveryFailed:
		p.onDeliveryFailed(ctx, ev)
	case signing.EventExpired:
		p.onExpired(ctx, ev)
	case signing.EventRejected:
		p.markSigner(ev.Signer, signing.SignerRejected, time.Time{})
		p.state.RejectedBy = ev.Signer
		reason := ev.Reason
		if reason == "" {
			reason = "rejected by a signer"
		}
		p.record(ctx, ev, "applied")
		p.end(ctx, signing.StatusRejected, reason)
	case signing.EventCancelled:
		reason := ev.Reason
		if reason == "" {
			reason = "cancelled at the provider"
		}
		p.record(ctx, ev, "applied")
		p.end(ctx, signing.StatusCancelled, reason)
	case signing.EventCompleted:
		p.record(ctx, ev, "applied")
		return p.complete(ctx, ev)
	default:
		p.record(ctx, ev, "ignored: unknown event type")
	}
	return nil
}

// effectKey is the key under which an event may have its effect once.
// An expiry recurs legitimately: the process can expire again after a
// renewal, and the provider's notice of the second time may repeat the
// first one's content word for word (a provider may document no field
// that tells them apart). Its key is therefore scoped to the renewal round; a late
// copy of an earlier round's notice is told apart by asking the provider
// (onExpired), so it can never renew twice.
//
// A delivery failure keeps the provider's key: a copy of an earlier
// round's notice is a duplicate, and one whose content is new but which
// the provider dates before the last resend is stale (onDeliveryFailed).
func (p *process) effectKey(ev signing.Event) string {
	if p.rounds && ev.Type == signing.EventExpired {
		return fmt.Sprintf("%s#renewal-round:%d", ev.Key, p.state.Renewals)
	}
	return ev.Key
}

func (p *process) onDeliveryFailed(ctx workflow.Context, ev signing.Event) {
	if p.rounds && p.staleDeliveryFailure(ev) {
		p.record(ctx, ev, "ignored: notice from before the last resend")
		return
	}
	p.markSigner(ev.Signer, signing.SignerDeliveryFailed, time.Time{})
	switch {
	case p.resendTimer != nil:
		p.record(ctx, ev, "applied: resend already scheduled")
		p.touch(ctx)
	case p.state.Resends >= p.in.Resend.MaxResends:
		p.record(ctx, ev, "applied: resend limit reached")
		reason := fmt.Sprintf("delivery failed after %d resends", p.state.Resends)
		if ev.Reason != "" {
			reason += ": " + ev.Reason
		}
		p.giveUp(ctx, signing.StatusDeliveryFailed, reason, true)
	default:
		wait := doubling(time.Duration(p.in.Resend.Backoff), p.state.Resends, maxResendBackoff)
		p.resendTimer, p.cancelResend = startTimer(ctx, wait, "resend backoff")
		p.state.NextResendAt = workflow.Now(ctx).Add(wait)
		p.record(ctx, ev, fmt.Sprintf("applied: resend in %s", wait))
		p.touch(ctx)
	}
}

// staleDeliveryFailure tells a notice about a failure that happened before
// the last resend from a new failure: the signer has signed since, or the
// provider dates the failure clearly before the resend was asked for
// (providers date to the second, so the same second is not "before").
func (p *process) staleDeliveryFailure(ev signing.Event) bool {
	if ev.Signer != nil && p.signerStatus(*ev.Signer) == signing.SignerSigned {
		return true
	}
	last := p.state.LastResendAt
	return !last.IsZero() && !ev.OccurredAt.IsZero() && ev.OccurredAt.Before(last.Add(-time.Second))
}

func (p *process) resend(ctx workflow.Context) {
	p.setStatus(ctx, signing.StatusResending)
	askedAt := workflow.Now(ctx)
	if err := p.callProvider(ctx, "resend to pending signers", acts.Resend, activities.ProviderCall{}); err != nil {
		p.giveUp(ctx, signing.StatusDeliveryFailed, "resend failed: "+rootMessage(err), p.withdraws)
		return
	}
	p.state.Resends++
	p.state.LastResendAt = askedAt
	for i := range p.state.Signers {
		if p.state.Signers[i].Status == signing.SignerDeliveryFailed {
			p.state.Signers[i].Status = signing.SignerPending
		}
	}
	p.setStatus(ctx, signing.StatusAwaitingSignatures)
}

func (p *process) onExpired(ctx workflow.Context, ev signing.Event) {
	// Only after a renewal can a notice be a late copy of an earlier
	// round's; then the provider is asked. Reconciliation's own expiry
	// comes from the provider's answer just now.
	if p.rounds && p.state.Renewals > 0 && !strings.HasPrefix(ev.Key, reconcileKeyPrefix) && !p.providerSaysExpired(ctx) {
		p.record(ctx, ev, "ignored: the provider reports the process is not expired (a notice from an earlier round)")
		return
	}
	if p.state.Renewals >= p.in.Resend.MaxRenewals {
		p.record(ctx, ev, "applied: renewal limit reached")
		p.giveUp(ctx, signing.StatusExpired, fmt.Sprintf("expired after %d renewals", p.state.Renewals), p.withdraws)
		return
	}
	p.record(ctx, ev, "applied: renewing")
	// A renewal re-invites every pending signer, so a scheduled resend is moot.
	p.stopResendTimer()
	p.setStatus(ctx, signing.StatusRenewing)
	err := p.callProvider(ctx, "renew expired process", acts.Renew, activities.ProviderCall{ExpiresInDays: p.in.ExpiresInDays, Notice: ev.Key})
	if err != nil {
		p.giveUp(ctx, signing.StatusExpired, "renewal failed: "+rootMessage(err), p.withdraws)
		return
	}
	p.state.Renewals++
	p.setStatus(ctx, signing.StatusAwaitingSignatures)
}

// providerSaysExpired asks the provider before a renewal, so that a late
// copy of an earlier round's expiry never renews twice. A provider that
// cannot be asked is trusted on its notice.
func (p *process) providerSaysExpired(ctx workflow.Context) bool {
	var snap providers.Snapshot
	err := workflow.ExecuteActivity(withOptions(ctx, "confirm expiry with provider", readTimeouts), acts.Reconcile,
		activities.ProviderCall{Provider: p.in.Provider, ProviderRef: p.state.ProviderRef}).Get(ctx, &snap)
	if err != nil {
		workflow.GetLogger(ctx).Warn("could not confirm expiry with the provider; trusting its notice", "error", err)
		return true
	}
	switch snap.Status {
	case signing.StatusAwaitingSignatures, signing.StatusCompleted, signing.StatusCancelled, signing.StatusRejected:
		return false // the provider answered, and not "expired"
	}
	return true
}

// giveUp ends a process firmaflow will not pursue further. With withdraw,
// the provider process is withdrawn first, so no signer acts on a process
// nobody follows any more; a failed withdrawal shows in the result.
func (p *process) giveUp(ctx workflow.Context, status signing.Status, reason string, withdraw bool) {
	if withdraw {
		p.withdraw(ctx, "withdraw abandoned process", reason)
	}
	p.end(ctx, status, reason)
}

// withdraw cancels the process at the provider and records a failure
// rather than hiding it.
func (p *process) withdraw(ctx workflow.Context, summary, reason string) {
	if !p.cancelsAtProvider() {
		return
	}
	if err := p.callProvider(ctx, summary, acts.Cancel, activities.ProviderCall{Reason: reason}); err != nil {
		p.state.WithdrawError = rootMessage(err)
	}
}

func (p *process) complete(ctx workflow.Context, ev signing.Event) error {
	p.stopResendTimer()
	p.stopTokenTimer()
	p.stopReconcileTimer()
	p.setStatus(ctx, signing.StatusFetchingDocuments)
	var docs []signing.StoredDocument
	err := workflow.ExecuteActivity(withOptions(ctx, "fetch signed documents", fetchTimeouts), acts.FetchDocuments,
		activities.FetchInput{ProcessID: p.in.ProcessID, Provider: p.in.Provider, ProviderRef: p.state.ProviderRef, Documents: ev.Documents},
	).Get(ctx, &docs)
	if err != nil {
		p.end(ctx, signing.StatusFailed, "fetching signed documents failed: "+rootMessage(err))
		return fmt.Errorf("fetch documents: %w", err)
	}
	now := workflow.Now(ctx)
	for i := range p.state.Signers {
		if p.state.Signers[i].Status != signing.SignerSigned {
			p.state.Signers[i].Status, p.state.Signers[i].SignedAt = signing.SignerSigned, now
		}
	}
	p.state.Documents = docs
	p.end(ctx, signing.StatusCompleted, "")
	return nil
}

// callProvider runs a provider activity on this process.
func (p *process) callProvider(ctx workflow.Context, summary string, activity any, call activities.ProviderCall) error {
	call.Provider, call.ProviderRef = p.in.Provider, p.state.ProviderRef
	err := workflow.ExecuteActivity(withOptions(ctx, summary, providerCallTimeouts), activity, call).Get(ctx, nil)
	if err != nil {
		workflow.GetLogger(ctx).Warn("provider call failed", "call", summary, "error", err)
	}
	return err
}

func (p *process) signerStatus(ref signing.SignerRef) signing.SignerStatus {
	for _, s := range p.state.Signers {
		if (ref.Email != "" && strings.EqualFold(s.Email, ref.Email)) || (ref.Email == "" && s.Name == ref.Name) {
			return s.Status
		}
	}
	return ""
}

func (p *process) markSigner(ref *signing.SignerRef, status signing.SignerStatus, at time.Time) {
	if ref == nil {
		return
	}
	for i, s := range p.state.Signers {
		if (ref.Email != "" && strings.EqualFold(s.Email, ref.Email)) || (ref.Email == "" && ref.Name != "" && s.Name == ref.Name) {
			p.state.Signers[i].Status = status
			if !at.IsZero() {
				p.state.Signers[i].SignedAt = at
			}
			return
		}
	}
}

func (p *process) remember(key string) {
	p.seen[key] = true
	p.order = append(p.order, key)
	if len(p.order) > seenKeysLimit {
		delete(p.seen, p.order[0])
		p.order = p.order[1:]
	}
}

func (p *process) record(ctx workflow.Context, ev signing.Event, effect string) {
	countEvent(ctx, p.in.Provider, ev.Type, outcomeOf(effect))
	p.state.Events = append(p.state.Events, signing.EventRecord{
		Key: ev.Key, Type: ev.Type, ReceivedAt: workflow.Now(ctx), Effect: effect,
	})
	if n := len(p.state.Events); n > eventLogLimit {
		p.state.Events = p.state.Events[n-eventLogLimit:]
	}
}

func signerKey(s *signing.SignerRef) string {
	if s == nil {
		return ""
	}
	return strings.ToLower(s.Email)
}
