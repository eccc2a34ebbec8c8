package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/firmaflow/firmaflow/activities"
	"github.com/firmaflow/firmaflow/routing"
	"github.com/firmaflow/firmaflow/signing"
	"github.com/firmaflow/firmaflow/telemetry"
)

// Route statuses (SigningStatus of a route run), for operators.
const (
	RouteHolding    = routing.RouteHolding
	RouteUnclaimed  = routing.RouteUnclaimed
	RouteRouted     = routing.RouteRouted
	RouteOwnerEnded = routing.RouteOwnerEnded
)

const (
	defaultClaimWindow = 24 * time.Hour
	defaultRouteGrace  = 7 * 24 * time.Hour
	// ownerCheckEvery is how often a route asks whether its owner still
	// runs (by id, never by visibility), to end after it.
	ownerCheckEvery = 24 * time.Hour
)

// route is one ProcessRoute run.
type route struct {
	in     routing.RouteInput
	events workflow.ReceiveChannel
	owners workflow.ReceiveChannel
	held   []signing.Event
	status string
	// indexed is the status visibility has: the one the route started
	// with, then each one upserted.
	indexed   string
	forwarded int
	// published: the owner is in the memo, so the bridge signals it directly.
	published bool
}

// ProcessRoute indexes one provider process: its owner (the SigningProcess
// the send registered) and the events that arrived before the owner was
// registered, held durably and handed over, in arrival order, once it is.
// The bridge reads the owner from the route's memo and signals the owner
// directly; events reach the route itself only while it has no owner (or
// in a race with the registration), so an owned route is idle. It ends a
// grace period after its owner ended, for late redeliveries.
func ProcessRoute(ctx workflow.Context, in routing.RouteInput) error {
	r := &route{
		in:     in,
		events: workflow.GetSignalChannel(ctx, signing.SignalEvent),
		owners: workflow.GetSignalChannel(ctx, routing.SignalRegisterOwner),
		held:   in.Held,
	}
	if err := workflow.SetQueryHandler(ctx, signing.QueryState, r.query); err != nil {
		return err
	}
	// Routes started before their status was set at start have none, and
	// upsert it as they always did.
	r.indexed, _ = workflow.GetTypedSearchAttributes(ctx).GetKeyword(StatusKey)
	r.refreshStatus(ctx)
	start := workflow.Now(ctx)
	for {
		r.takeRegistrations(ctx)
		r.hold(ctx)
		if err := r.handOver(ctx); err != nil {
			return err
		}
		if r.in.Owner != "" && len(r.held) == 0 && r.events.Len() == 0 {
			r.ensureMemo(ctx)
		}
		r.refreshStatus(ctx)
		if r.done(ctx) {
			return nil
		}
		if workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			r.takeRegistrations(ctx)
			next := r.in
			next.Held = append(r.held, drainEvents(r.events)...)
			return workflow.NewContinueAsNewError(ctx, routing.RouteWorkflowType, next)
		}
		if err := r.wait(ctx, start); err != nil {
			return err
		}
	}
}

func (r *route) query() (map[string]any, error) {
	return map[string]any{"status": r.status, "owner": r.in.Owner, "published": r.published, "held": r.held, "forwarded": r.forwarded,
		"provider": r.in.Provider, "provider_ref": r.in.ProviderRef}, nil
}

// hold takes the events that reached the route: they wait here, in
// order, until they are handed over to the owner.
func (r *route) hold(ctx workflow.Context) {
	for _, ev := range drainEvents(r.events) {
		countEvent(ctx, r.in.Provider, ev.Type, OutcomeHeld)
		r.held = append(r.held, ev)
	}
}

// takeRegistrations records the owner. The first registration wins: a
// provider reference belongs to one process.
func (r *route) takeRegistrations(ctx workflow.Context) {
	for {
		var reg routing.OwnerRegistration
		if !r.owners.ReceiveAsync(&reg) {
			return
		}
		switch {
		case r.in.Owner == "":
			// The memo is published once the held events are handed over
			// (see handOver): until then the bridge keeps sending events
			// here, behind the held ones, not past them to the owner.
			r.in.Owner = reg.WorkflowID
		case reg.WorkflowID != r.in.Owner:
			workflow.GetLogger(ctx).Error("a second process claims this provider process; keeping the first",
				"owner", r.in.Owner, "claimant", reg.WorkflowID)
		}
	}
}

// ensureMemo publishes the owner for the bridge: set at start when the
// registration started the route, set here once nothing is held when events
// started it, so that events keep their order through the route.
func (r *route) ensureMemo(ctx workflow.Context) {
	if r.published {
		return
	}
	r.published = true
	if memo := workflow.GetInfo(ctx).Memo; memo != nil && memo.GetFields()[routing.MemoOwner] != nil {
		return
	}
	if err := workflow.UpsertMemo(ctx, map[string]any{routing.MemoOwner: r.in.Owner}); err != nil {
		workflow.GetLogger(ctx).Error("publish route owner", "error", err)
	}
}

// handOver gives the held events to the owner, once there is one.
func (r *route) handOver(ctx workflow.Context) error {
	if r.in.Owner == "" || len(r.held) == 0 {
		return nil
	}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		Summary: "hand held events over to their process", StartToCloseTimeout: time.Minute, HeartbeatTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute},
	})
	// The hand-over, and so the owner's signals, join the first held
	// event's trace.
	actx = telemetry.EventContext(actx, r.held[0].Key)
	var res activities.HandOverResult
	if err := workflow.ExecuteActivity(actx, acts.HandOver,
		activities.HandOverInput{WorkflowID: r.in.Owner, Events: r.held}).Get(ctx, &res); err != nil {
		return err
	}
	r.forwarded += len(r.held)
	r.held = nil
	if res.OwnerEnded && r.in.OwnerClosedAt.IsZero() {
		r.in.OwnerClosedAt = workflow.Now(ctx)
	}
	return nil
}

// done: the owner ended a grace period ago and nothing waits.
func (r *route) done(ctx workflow.Context) bool {
	if r.in.OwnerClosedAt.IsZero() || len(r.held) > 0 {
		return false
	}
	return !workflow.Now(ctx).Before(r.in.OwnerClosedAt.Add(r.grace())) && r.events.Len() == 0 && r.owners.Len() == 0
}

func (r *route) grace() time.Duration {
	if g := time.Duration(r.in.Grace); g > 0 {
		return g
	}
	return defaultRouteGrace
}

// wait sleeps until a signal arrives or the next thing to check is due:
// the end of the claim window, the owner's next check, the end of grace.
func (r *route) wait(ctx workflow.Context, start time.Time) error {
	now := workflow.Now(ctx)
	var due time.Duration
	var check func(ctx workflow.Context) error
	switch {
	case r.in.Owner == "" && !r.in.Unclaimed:
		window := time.Duration(r.in.ClaimWindow)
		if window <= 0 {
			window = defaultClaimWindow
		}
		due = max(start.Add(window).Sub(now), 0)
		check = func(workflow.Context) error { r.in.Unclaimed = true; return nil }
	case r.in.Owner == "":
		due = -1 // unclaimed: wait for a registration or events, without polling
	case r.in.OwnerClosedAt.IsZero():
		due, check = ownerCheckEvery, r.checkOwner
	default:
		due = max(r.in.OwnerClosedAt.Add(r.grace()).Sub(now), 0)
	}
	tctx, cancel := workflow.WithCancel(ctx)
	defer cancel()
	sel := workflow.NewSelector(ctx)
	sel.AddReceive(r.events, func(workflow.ReceiveChannel, bool) {})
	sel.AddReceive(r.owners, func(workflow.ReceiveChannel, bool) {})
	fired := false
	if due >= 0 {
		sel.AddFuture(workflow.NewTimer(tctx, due), func(workflow.Future) { fired = true })
	}
	sel.Select(ctx)
	if ctx.Err() != nil {
		// Cancelled by an operator: held events without an owner go with
		// it (the UI shows them in the route's last state).
		return temporal.NewCanceledError("route cancelled")
	}
	if fired && check != nil {
		return check(ctx)
	}
	return nil
}

// checkOwner asks whether the owner still runs.
func (r *route) checkOwner(ctx workflow.Context) error {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		Summary: "is the owner still running", StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute},
	})
	var st activities.OwnerStatus
	if err := workflow.ExecuteActivity(actx, acts.DescribeOwner, r.in.Owner).Get(ctx, &st); err != nil {
		return err
	}
	if !st.Running {
		r.in.OwnerClosedAt = st.ClosedAt
	}
	return nil
}

func (r *route) refreshStatus(ctx workflow.Context) {
	s := RouteHolding
	switch {
	case !r.in.OwnerClosedAt.IsZero():
		s = RouteOwnerEnded
	case r.in.Owner != "":
		s = RouteRouted
	case r.in.Unclaimed:
		s = RouteUnclaimed
	}
	if s == r.status {
		return
	}
	r.status = s
	if s != r.indexed {
		r.indexed = s
		if err := workflow.UpsertTypedSearchAttributes(ctx, StatusKey.ValueSet(s)); err != nil {
			workflow.GetLogger(ctx).Error("upsert route status", "error", err)
		}
	}
	workflow.SetCurrentDetails(ctx, "**"+s+"** — "+r.in.Provider+" process `"+r.in.ProviderRef+"`; owner `"+r.in.Owner+"`")
}
