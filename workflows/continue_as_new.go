package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/firmaflow/firmaflow/signing"
)

// eventsPerRun bounds how many events one run handles before continuing as
// new, on top of the server's own suggestion (history size or length). A
// variable so tests can lower it.
var eventsPerRun = 1000

func (p *process) shouldContinueAsNew(ctx workflow.Context, handled int) bool {
	if p.cancelPending || !workflow.AllHandlersFinished(ctx) {
		return false // an update is in flight; it must finish in this run
	}
	return handled >= eventsPerRun || workflow.GetInfo(ctx).GetContinueAsNewSuggested()
}

// continueAsNew hands the process to a fresh run. Signals already received
// by the server are drained first and carried over, so none is lost; timers
// are carried as due times and re-armed by restore.
func (p *process) continueAsNew(ctx workflow.Context, events workflow.ReceiveChannel) error {
	c := &Continuation{State: p.state, SeenKeys: append([]string(nil), p.order...)}
	if p.in.Continued != nil {
		c.Runs = p.in.Continued.Runs
	}
	c.Runs++
	c.Pending = drainEvents(events)
	next := p.in
	next.Continued = c
	workflow.GetLogger(ctx).Info("continuing as new", "runs", c.Runs, "pending", len(c.Pending))
	return workflow.NewContinueAsNewError(ctx, signing.WorkflowType, next)
}

// drainEvents takes every event waiting on the channel. Each is decoded into
// a fresh value: decoding into a reused one would share its signer pointer
// and document slice between events and keep fields an event left out.
func drainEvents(events workflow.ReceiveChannel) []signing.Event {
	var out []signing.Event
	for {
		var ev signing.Event
		if !events.ReceiveAsync(&ev) {
			return out
		}
		out = append(out, ev)
	}
}

// restore resumes a continued process: state, dedup keys and timers.
func (p *process) restore(ctx workflow.Context) {
	c := p.in.Continued
	p.state = c.State
	for _, k := range c.SeenKeys {
		p.remember(k)
	}
	now := workflow.Now(ctx)
	if due := p.state.NextResendAt; !due.IsZero() {
		p.resendTimer, p.cancelResend = startTimer(ctx, max(due.Sub(now), 0), "resend backoff")
	}
	if due := p.state.NextReconcileAt; !due.IsZero() {
		p.reconcileTimer, p.cancelReconcile = startTimer(ctx, max(due.Sub(now), 0), "reconcile with provider")
	}
	if due := p.state.NextTokenCheckAt; !due.IsZero() {
		p.tokenTimer, p.cancelTokens = startTimer(ctx, max(due.Sub(now), 0), "token balance check")
	}
	workflow.SetCurrentDetails(ctx, p.details())
}
