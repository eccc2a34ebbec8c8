package activities

import (
	"context"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"

	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/signing"
)

// A provider's resend and renewal may carry no idempotency key (a bare
// PATCH, say), so a retry (the first attempt's worker died mid-call, or
// its answer was lost) must not call again when the first attempt landed.
// The provider's own notices say whether it did: a resend notice, or for a
// renewal a new expiry, that reached this run after the call was asked for
// and that the provider does not date before it.

// Resend invites again the signers who have not signed.
func (a *Activities) Resend(ctx context.Context, call ProviderCall) error {
	defer keepAlive(ctx)()
	p, err := a.provider(call.Provider)
	if err != nil {
		return err
	}
	if retried(ctx) && a.Temporal != nil {
		key, err := a.noticeSinceScheduled(ctx, "", signing.EventResent)
		if err != nil {
			return classify(fmt.Errorf("resend: read the notices since the resend was asked for: %w", err))
		}
		if key != "" {
			a.logger(ctx).Info("retried resend not repeated", "provider", call.Provider, "provider_ref", call.ProviderRef, "why", "the provider has notified the resend")
			return nil
		}
	}
	return classify(p.Resend(ctx, call.ProviderRef))
}

// Renew gives pending signers a new deadline after an expiry. A retry asks
// the provider first: a process no longer expired was renewed (or has
// ended); one expired again was renewed if the provider has notified the
// renewal or a new expiry since.
func (a *Activities) Renew(ctx context.Context, call ProviderCall) error {
	defer keepAlive(ctx)()
	p, err := a.provider(call.Provider)
	if err != nil {
		return err
	}
	if retried(ctx) {
		landed, why, err := a.earlierRenewalLanded(ctx, p, call)
		if err != nil {
			// Renewing blindly could renew twice; the retry asks again.
			return classify(err)
		}
		if landed {
			a.logger(ctx).Info("retried renewal not repeated", "provider", call.Provider, "provider_ref", call.ProviderRef, "why", why)
			return nil
		}
	}
	return classify(p.Renew(ctx, call.ProviderRef, call.ExpiresInDays))
}

// retried: an earlier attempt of the running activity may have reached
// the provider.
func retried(ctx context.Context) bool {
	return activity.IsActivity(ctx) && activity.GetInfo(ctx).Attempt > 1
}

// earlierRenewalLanded tells whether an earlier attempt of this renewal
// took effect at the provider, and why it thinks so.
func (a *Activities) earlierRenewalLanded(ctx context.Context, p providers.Provider, call ProviderCall) (bool, string, error) {
	st, err := p.Status(ctx, call.ProviderRef)
	if err != nil {
		return false, "", fmt.Errorf("renew: ask the provider before renewing again: %w", err)
	}
	if st != signing.StatusExpired {
		return true, "the provider reports " + string(st), nil
	}
	if a.Temporal == nil {
		return false, "", nil
	}
	key, err := a.noticeSinceScheduled(ctx, call.Notice, signing.EventResent, signing.EventExpired)
	if err != nil {
		return false, "", fmt.Errorf("renew: read the notices since the renewal was asked for: %w", err)
	}
	if key != "" {
		return true, "the provider has notified the renewal or a later expiry", nil
	}
	return false, "", nil
}

// noticeSinceScheduled returns the key of a provider notice of one of
// types that this run received after the running activity was scheduled:
// new (neither known nor received before), and not dated by the provider
// before the scheduling (providers date to the second). A redelivered
// notice keeps its key, and a late notice of an earlier call carries its
// earlier date, so neither is taken for the effect of this call. It reads
// the run's history, which only a retry does.
func (a *Activities) noticeSinceScheduled(ctx context.Context, known string, types ...signing.EventType) (string, error) {
	info := activity.GetInfo(ctx)
	seen := map[string]bool{known: true}
	var scheduledAt time.Time
	dc := converter.GetDefaultDataConverter()
	it := a.Temporal.GetWorkflowHistory(ctx, info.WorkflowExecution.ID, info.WorkflowExecution.RunID, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return "", err
		}
		if attrs := e.GetActivityTaskScheduledEventAttributes(); attrs != nil && attrs.GetActivityId() == info.ActivityID {
			scheduledAt = e.GetEventTime().AsTime()
			continue
		}
		sig := e.GetWorkflowExecutionSignaledEventAttributes()
		if sig == nil || sig.GetSignalName() != signing.SignalEvent {
			continue
		}
		var ev signing.Event // fresh per signal
		if dc.FromPayloads(sig.GetInput(), &ev) != nil || !slices.Contains(types, ev.Type) || ev.Key == "" {
			continue
		}
		fresh := ev.OccurredAt.IsZero() || !ev.OccurredAt.Before(scheduledAt.Add(-time.Second))
		if !scheduledAt.IsZero() && !seen[ev.Key] && fresh {
			return ev.Key, nil
		}
		seen[ev.Key] = true
	}
	return "", nil
}
