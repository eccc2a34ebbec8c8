package activities

import (
	"context"
	"fmt"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"

	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/signing"
)

// Renew gives pending signers a new deadline after an expiry.
//
// A provider's renewal may carry no idempotency key, so a retry (the first
// attempt's worker died mid-call, or its answer was lost) must not renew
// a second time when the first attempt landed. It asks the provider first:
// a process that is no longer expired was renewed (or has ended). One that
// is expired again may have been renewed and expired since; the provider's
// own notice of that new expiry, which reached this workflow after the
// renewal was asked for, says so.
func (a *Activities) Renew(ctx context.Context, call ProviderCall) error {
	defer keepAlive(ctx)()
	p, err := a.provider(call.Provider)
	if err != nil {
		return err
	}
	if activity.IsActivity(ctx) && activity.GetInfo(ctx).Attempt > 1 {
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
	newer, err := a.expiredAgainSinceScheduled(ctx, call.Notice)
	if err != nil {
		return false, "", fmt.Errorf("renew: read the notices since the renewal was asked for: %w", err)
	}
	if newer != "" {
		return true, "the provider has notified a later expiry", nil
	}
	return false, "", nil
}

// expiredAgainSinceScheduled returns the key of an expiry notice this
// workflow received after the running activity was scheduled that is
// neither renewed (the notice) nor any notice received before: the
// provider notifies a new expiry only after a renewal. A redelivered
// notice keeps its key, so it is never taken for a new one. It reads the
// run's history, which only a retried renewal does.
func (a *Activities) expiredAgainSinceScheduled(ctx context.Context, renewed string) (string, error) {
	info := activity.GetInfo(ctx)
	known := map[string]bool{renewed: true}
	scheduled := false
	dc := converter.GetDefaultDataConverter()
	it := a.Temporal.GetWorkflowHistory(ctx, info.WorkflowExecution.ID, info.WorkflowExecution.RunID, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return "", err
		}
		if attrs := e.GetActivityTaskScheduledEventAttributes(); attrs != nil && attrs.GetActivityId() == info.ActivityID {
			scheduled = true
			continue
		}
		sig := e.GetWorkflowExecutionSignaledEventAttributes()
		if sig == nil || sig.GetSignalName() != signing.SignalEvent {
			continue
		}
		var ev signing.Event // fresh per signal
		if dc.FromPayloads(sig.GetInput(), &ev) != nil || ev.Type != signing.EventExpired || ev.Key == "" {
			continue
		}
		if scheduled && !known[ev.Key] {
			return ev.Key, nil
		}
		known[ev.Key] = true
	}
	return "", nil
}
