package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/firmaflow/firmaflow/activities"
	"github.com/firmaflow/firmaflow/signing"
	"github.com/firmaflow/firmaflow/telemetry"
)

// InboxWorkflowType is the workflow type of EventInbox.
const InboxWorkflowType = "EventInbox"

// Inbox statuses (SigningStatus of an inbox run).
const (
	InboxHolding   = "inbox_holding"
	InboxUnclaimed = "inbox_unclaimed"
)

// InboxInput starts an EventInbox.
type InboxInput struct {
	Provider    string `json:"provider"`
	ProviderRef string `json:"provider_ref"`
	// ClaimWindow is how long the inbox looks for an owner at a quick pace;
	// after it the inbox is marked unclaimed for operators and keeps looking
	// slowly. Default 24h.
	ClaimWindow signing.Duration `json:"claim_window,omitempty"`
	// Held and Unclaimed carry an inbox across continue-as-new.
	Held      []signing.Event `json:"held,omitempty"`
	Unclaimed bool            `json:"unclaimed,omitempty"`
}

// InboxResult says where the held events went.
type InboxResult struct {
	Owner     string `json:"owner"`
	Forwarded int    `json:"forwarded"`
	// OwnerEnded: the owner had already ended; the events could have no effect.
	OwnerEnded bool `json:"owner_ended,omitempty"`
}

// InboxWorkflowID is the inbox of one provider process: derived from the
// webhook, so every early event of that process lands in the same inbox.
func InboxWorkflowID(provider, ref string) string { return "inbox-" + provider + "-" + ref }

const (
	inboxFirstPoll = 50 * time.Millisecond
	inboxFastMax   = 30 * time.Second
	inboxSlowPoll  = 10 * time.Minute
)

// EventInbox holds provider events that arrived before their owner could
// be found (a webhook racing the send activity's return) durably in
// Temporal, finds the owning SigningProcess, and forwards the events to it
// in arrival order. The bridge answers the provider 2xx only once the event
// is in an inbox or its owner.
func EventInbox(ctx workflow.Context, in InboxInput) (InboxResult, error) {
	window := time.Duration(in.ClaimWindow)
	if window <= 0 {
		window = 24 * time.Hour
	}
	events := workflow.GetSignalChannel(ctx, signing.SignalEvent)
	held := in.Held
	drain := func() { held = append(held, drainEvents(events)...) }
	var status string
	setStatus := func(s string) {
		if s == status {
			return
		}
		status = s
		if err := workflow.UpsertTypedSearchAttributes(ctx, StatusKey.ValueSet(s)); err != nil {
			workflow.GetLogger(ctx).Error("upsert inbox status", "error", err)
		}
		workflow.SetCurrentDetails(ctx, "**"+s+"** — events for "+in.Provider+" process `"+in.ProviderRef+"` wait for their signing process")
	}
	if in.Unclaimed {
		setStatus(InboxUnclaimed)
	} else {
		setStatus(InboxHolding)
	}
	if err := workflow.SetQueryHandler(ctx, signing.QueryState, func() (map[string]any, error) {
		return map[string]any{"status": status, "held": held, "provider": in.Provider, "provider_ref": in.ProviderRef}, nil
	}); err != nil {
		return InboxResult{}, err
	}

	lookupCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		Summary: "find the owning signing process", StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute},
	})
	start := workflow.Now(ctx)
	wait := inboxFirstPoll
	for {
		drain()
		var owner activities.Owner
		if err := workflow.ExecuteActivity(lookupCtx, acts.FindOwner,
			activities.OwnerQuery{Provider: in.Provider, ProviderRef: in.ProviderRef}).Get(ctx, &owner); err != nil {
			return InboxResult{}, err
		}
		if owner.WorkflowID != "" {
			return forward(ctx, events, owner, held)
		}
		if in.Unclaimed || workflow.Now(ctx).Sub(start) >= window {
			setStatus(InboxUnclaimed)
			// Slow down, but never below the window's own pace.
			wait = min(inboxSlowPoll, max(window, time.Second))
		}
		if workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			drain()
			next := in
			next.Held, next.Unclaimed = held, status == InboxUnclaimed
			return InboxResult{}, workflow.NewContinueAsNewError(ctx, InboxWorkflowType, next)
		}
		// Sleep, but wake early for nothing: new events just join the batch.
		if err := workflow.Sleep(ctx, wait); err != nil {
			return InboxResult{}, err
		}
		if status == InboxHolding {
			wait = min(wait*2, inboxFastMax, max(window, inboxFirstPoll))
		}
	}
}

// forward hands the held events, then any that arrived meanwhile, to the
// owner. The channel is drained before returning so that no signal that
// reached the inbox is lost when it completes.
func forward(ctx workflow.Context, events workflow.ReceiveChannel, owner activities.Owner, held []signing.Event) (InboxResult, error) {
	fwdCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		Summary: "forward held events", StartToCloseTimeout: time.Minute,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute},
	})
	res := InboxResult{Owner: owner.WorkflowID, OwnerEnded: !owner.Running}
	held = append(held, drainEvents(events)...)
	for len(held) > 0 {
		if owner.Running {
			// The batch, and so the owner's signals, join its first event's trace.
			if err := workflow.ExecuteActivity(telemetry.EventContext(fwdCtx, held[0].Key), acts.ForwardEvents,
				activities.ForwardInput{WorkflowID: owner.WorkflowID, Events: held}).Get(ctx, nil); err != nil {
				return res, err
			}
		}
		res.Forwarded += len(held)
		held = drainEvents(events)
	}
	return res, nil
}
