package workflows

import (
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/firmaflow/firmaflow/activities"
	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/signing"
)

// settles reports whether an ending is settled: providers do not promise
// the order of their notifications, so a signature can arrive after the
// rejection or cancellation that ended the process, though it happened
// before. Completion needs no settling: every signer signed.
func settles(s signing.Status) bool {
	switch s {
	case signing.StatusRejected, signing.StatusCancelled, signing.StatusExpired, signing.StatusDeliveryFailed:
		return true
	}
	return false
}

// settle makes the end independent of the order events arrived in: the
// signatures that arrived after the ending event are applied (they
// happened before it: nobody signs an ended process), and the provider is
// asked once who signed, for the signatures still on their way (a webhook
// answered 2xx after the run closed could have no effect otherwise).
// Events other than signatures are recorded as ignored.
func (p *process) settle(ctx workflow.Context, events workflow.ReceiveChannel) {
	p.applyLate(ctx, drainEvents(events))
	if p.state.ProviderRef == "" {
		return
	}
	var snap providers.Snapshot
	err := workflow.ExecuteActivity(withOptions(ctx, "settle: who signed before the end", readTimeouts), acts.Reconcile,
		activities.ProviderCall{Provider: p.in.Provider, ProviderRef: p.state.ProviderRef}).Get(ctx, &snap)
	if err != nil {
		workflow.GetLogger(ctx).Warn("settling the end with the provider failed; keeping what the events said", "error", err)
		return
	}
	for _, who := range snap.Signed {
		who := who
		ev := signing.Event{
			Key:      reconcileKeyPrefix + "settle-signed:" + strings.ToLower(who.Email+"/"+who.Name),
			Provider: p.in.Provider, ProviderRef: p.state.ProviderRef, Type: signing.EventSignerSigned,
			OccurredAt: workflow.Now(ctx), Signer: &who,
		}
		p.applyLate(ctx, []signing.Event{ev})
	}
	p.applyLate(ctx, drainEvents(events))
}

// applyLate applies signatures that reach an ended process, once each.
func (p *process) applyLate(ctx workflow.Context, late []signing.Event) {
	for _, ev := range late {
		key := p.effectKey(ev)
		switch {
		case p.seen[key]:
			p.record(ctx, ev, "duplicate")
		case ev.Type != signing.EventSignerSigned || ev.Signer == nil || (ev.ProviderRef != "" && ev.ProviderRef != p.state.ProviderRef):
			p.record(ctx, ev, "ignored: process already ended")
		case p.signerStatus(*ev.Signer) == signing.SignerSigned:
			p.remember(key)
			p.record(ctx, ev, "applied: already signed")
		case p.signerStatus(*ev.Signer) == signing.SignerRejected:
			p.record(ctx, ev, "ignored: the signer rejected")
		default:
			p.remember(key)
			p.markSigner(ev.Signer, signing.SignerSigned, workflow.Now(ctx))
			p.record(ctx, ev, "applied: signed before the end")
			p.touch(ctx)
		}
	}
}
