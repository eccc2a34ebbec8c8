// Package workflows holds SigningProcess, the durable workflow behind every
// signing process. It is provider-neutral: it sees signing.Event signals and
// calls activities; it never sees a provider's wire format.
package workflows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/firmaflow/firmaflow/activities"
	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/signing"
)

// Input and Result of SigningProcess (defined in package signing so that
// clients can use them without importing workflow code).
type (
	Input  = signing.Input
	Result = signing.Result
)

// Search attribute keys, typed.
var (
	ProviderKey    = temporal.NewSearchAttributeKeyKeyword(signing.AttrProvider)
	StatusKey      = temporal.NewSearchAttributeKeyKeyword(signing.AttrStatus)
	ProviderRefKey = temporal.NewSearchAttributeKeyKeyword(signing.AttrProviderRef)
)

const (
	// seenKeysLimit bounds the dedup set; provider retries of one event come
	// within minutes, long before this many other events arrive.
	seenKeysLimit = 1000
	// eventLogLimit bounds the event log shown by the state query.
	eventLogLimit = 100
)

// ErrTypeInvalidInput marks an input the workflow refuses to run.
const ErrTypeInvalidInput = "InvalidInput"

// SigningProcess runs one signing process from send to its final state.
func SigningProcess(ctx workflow.Context, in Input) (Result, error) {
	in = in.WithDefaults()
	if err := in.Validate(); err != nil {
		return Result{}, temporal.NewNonRetryableApplicationError("invalid input: "+err.Error(), ErrTypeInvalidInput, err)
	}
	p := newProcess(ctx, in)
	if err := p.registerHandlers(ctx); err != nil {
		return Result{}, err
	}
	return p.run(ctx)
}

// process is the workflow's state and behaviour.
type process struct {
	in    signing.Input
	state signing.State
	seen  map[string]bool
	order []string // seen keys, oldest first, to bound the set

	// reconcileTimer is set while a check of the provider's state is due.
	reconciles      bool
	reconcileTimer  workflow.Future
	cancelReconcile workflow.CancelFunc

	// tokenTimer is set while the process waits for the provider account's
	// tokens (Contractualis) and checks back on a doubling backoff.
	tokenTimer   workflow.Future
	cancelTokens workflow.CancelFunc

	// resendTimer is set while a resend waits for its backoff.
	resendTimer  workflow.Future
	cancelResend workflow.CancelFunc

	// Cancel requests from the update handler, served by the main loop so
	// that provider calls never run concurrently.
	cancelRequests workflow.Channel
	cancelPending  bool
	cancelErr      error
	cancelDone     bool
}

func newProcess(ctx workflow.Context, in signing.Input) *process {
	now := workflow.Now(ctx)
	signers := make([]signing.SignerState, len(in.Signers))
	for i, s := range in.Signers {
		signers[i] = signing.SignerState{Signer: s, Status: signing.SignerPending}
	}
	return &process{
		in: in,
		state: signing.State{
			ProcessID: in.ProcessID,
			Provider:  in.Provider,
			Status:    signing.StatusSending,
			Signers:   signers,
			Events:    []signing.EventRecord{},
			StartedAt: now,
			UpdatedAt: now,
		},
		seen:           map[string]bool{},
		cancelRequests: workflow.NewBufferedChannel(ctx, 1),
	}
}

func (p *process) registerHandlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandlerWithOptions(ctx, signing.QueryState, func() (signing.State, error) {
		return p.state, nil
	}, workflow.QueryHandlerOptions{Description: "Live state of the signing process"}); err != nil {
		return err
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, signing.UpdateCancel, p.handleCancelUpdate,
		workflow.UpdateHandlerOptions{
			Validator:   p.validateCancel,
			Description: "Cancel the process at the provider, with a reason",
		})
}

func (p *process) validateCancel(ctx workflow.Context, req signing.CancelRequest) error {
	switch {
	case p.state.Status.Terminal():
		return fmt.Errorf("process already ended with status %s", p.state.Status)
	case p.cancelPending:
		return errors.New("a cancel is already in progress")
	case p.state.Status == signing.StatusFetchingDocuments:
		return errors.New("process is completing: all signers have signed")
	case strings.TrimSpace(req.Reason) == "":
		return errors.New("reason is required")
	}
	return nil
}

func (p *process) handleCancelUpdate(ctx workflow.Context, req signing.CancelRequest) (signing.State, error) {
	p.cancelPending, p.cancelDone, p.cancelErr = true, false, nil
	defer func() { p.cancelPending = false }()
	p.cancelRequests.Send(ctx, req)
	if err := workflow.Await(ctx, func() bool { return p.cancelDone || p.state.Status.Terminal() }); err != nil {
		return p.state, err
	}
	if !p.cancelDone {
		return p.state, fmt.Errorf("process ended with status %s before the cancel ran", p.state.Status)
	}
	return p.state, p.cancelErr
}

func (p *process) run(ctx workflow.Context) (Result, error) {
	if p.in.Continued != nil {
		p.restore(ctx)
	} else if p.in.ArchiveOnly {
		// Started by the bridge from a provider's archive of a process sent
		// outside firmaflow: nothing to send, the results are on their way.
		p.state.ProviderRef = p.in.ProviderRef
	} else {
		p.setStatus(ctx, signing.StatusSending)
		var sent activities.SendOutput
		err := workflow.ExecuteActivity(withOptions(ctx, "send documents", 5*time.Minute, time.Hour), acts.Send, p.in).Get(ctx, &sent)
		if err != nil {
			p.end(ctx, signing.StatusFailed, "send failed: "+rootMessage(err))
			return p.result(), fmt.Errorf("send: %w", err)
		}
		p.state.ProviderRef = sent.ProviderRef
	}
	if p.in.Continued == nil {
		if err := workflow.UpsertTypedSearchAttributes(ctx, ProviderRefKey.ValueSet(p.state.ProviderRef)); err != nil {
			return p.result(), err
		}
		p.setStatus(ctx, signing.StatusAwaitingSignatures)
	}

	// Runs recorded before continue-as-new existed replay as DefaultVersion
	// and never continue; new runs do.
	canContinue := workflow.GetVersion(ctx, "continue-as-new", workflow.DefaultVersion, 1) >= 1
	// Reconciliation adds timers; runs recorded before it replay without.
	p.reconciles = workflow.GetVersion(ctx, "reconcile", workflow.DefaultVersion, 1) >= 1
	if p.reconciles && p.reconcileTimer == nil && !p.state.Status.Terminal() {
		p.scheduleReconcile(ctx)
	}
	events := workflow.GetSignalChannel(ctx, signing.SignalEvent)
	var failure error
	if p.in.Continued != nil {
		for _, ev := range p.in.Continued.Pending {
			if !p.state.Status.Terminal() {
				failure = p.handleEvent(ctx, ev)
			}
		}
	}
	handled := 0
	for !p.state.Status.Terminal() {
		if canContinue && p.shouldContinueAsNew(ctx, handled) {
			return Result{}, p.continueAsNew(ctx, events)
		}
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(events, func(c workflow.ReceiveChannel, _ bool) {
			var ev signing.Event
			c.Receive(ctx, &ev)
			handled++
			failure = p.handleEvent(ctx, ev)
		})
		sel.AddReceive(p.cancelRequests, func(c workflow.ReceiveChannel, _ bool) {
			var req signing.CancelRequest
			c.Receive(ctx, &req)
			p.cancelByRequester(ctx, req)
		})
		if p.reconcileTimer != nil {
			sel.AddFuture(p.reconcileTimer, func(f workflow.Future) {
				p.reconcileTimer = nil
				if f.Get(ctx, nil) == nil {
					failure = p.reconcile(ctx)
				}
			})
		}
		if p.tokenTimer != nil {
			sel.AddFuture(p.tokenTimer, func(f workflow.Future) {
				p.tokenTimer = nil
				if f.Get(ctx, nil) == nil {
					p.checkTokens(ctx)
				}
			})
		}
		if p.resendTimer != nil {
			sel.AddFuture(p.resendTimer, func(f workflow.Future) {
				p.resendTimer = nil
				p.state.NextResendAt = time.Time{}
				if f.Get(ctx, nil) == nil {
					p.resend(ctx)
				}
			})
		}
		sel.Select(ctx)
	}
	p.stopResendTimer()
	p.stopTokenTimer()
	p.stopReconcileTimer()

	if p.in.CallbackURL != "" && workflow.GetVersion(ctx, "callback", workflow.DefaultVersion, 1) >= 1 {
		p.notifyCaller(ctx)
	}

	// Signals that arrived after the end are recorded, not silently lost.
	var late signing.Event
	for events.ReceiveAsync(&late) {
		p.record(ctx, late, "ignored: process already ended")
	}
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return p.result(), err
	}
	return p.result(), failure
}

// handleEvent applies one provider event. It returns an error only when the
// process failed and the workflow should report failure.
func (p *process) handleEvent(ctx workflow.Context, ev signing.Event) error {
	if ev.Key == "" {
		ev.Key = fmt.Sprintf("%s:%s:%s:%s", ev.Provider, ev.ProviderRef, ev.Type, signerKey(ev.Signer))
	}
	if p.seen[ev.Key] {
		p.record(ctx, ev, "duplicate")
		return nil
	}
	p.remember(ev.Key)
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
		p.markSigner(ev.Signer, signing.SignerDeliveryFailed, time.Time{})
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

func (p *process) onDeliveryFailed(ctx workflow.Context, ev signing.Event) {
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
		// Withdraw the process so no signer acts on a process we gave up on.
		p.callProvider(ctx, "cancel after delivery failure", acts.Cancel, activities.ProviderCall{Reason: reason})
		p.end(ctx, signing.StatusDeliveryFailed, reason)
	default:
		wait := time.Duration(p.in.Resend.Backoff) << p.state.Resends
		p.resendTimer, p.cancelResend = startTimer(ctx, wait, "resend backoff")
		p.state.NextResendAt = workflow.Now(ctx).Add(wait)
		p.record(ctx, ev, fmt.Sprintf("applied: resend in %s", wait))
		p.touch(ctx)
	}
}

func (p *process) resend(ctx workflow.Context) {
	p.setStatus(ctx, signing.StatusResending)
	if err := p.callProvider(ctx, "resend to pending signers", acts.Resend, activities.ProviderCall{}); err != nil {
		p.end(ctx, signing.StatusDeliveryFailed, "resend failed: "+rootMessage(err))
		return
	}
	p.state.Resends++
	for i := range p.state.Signers {
		if p.state.Signers[i].Status == signing.SignerDeliveryFailed {
			p.state.Signers[i].Status = signing.SignerPending
		}
	}
	p.setStatus(ctx, signing.StatusAwaitingSignatures)
}

func (p *process) onExpired(ctx workflow.Context, ev signing.Event) {
	if p.state.Renewals >= p.in.Resend.MaxRenewals {
		p.record(ctx, ev, "applied: renewal limit reached")
		p.end(ctx, signing.StatusExpired, fmt.Sprintf("expired after %d renewals", p.state.Renewals))
		return
	}
	p.record(ctx, ev, "applied: renewing")
	// A renewal re-invites every pending signer, so a scheduled resend is moot.
	p.stopResendTimer()
	p.setStatus(ctx, signing.StatusRenewing)
	err := p.callProvider(ctx, "renew expired process", acts.Renew, activities.ProviderCall{ExpiresInDays: p.in.ExpiresInDays})
	if err != nil {
		p.end(ctx, signing.StatusExpired, "renewal failed: "+rootMessage(err))
		return
	}
	p.state.Renewals++
	p.setStatus(ctx, signing.StatusAwaitingSignatures)
}

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
	c := &signing.Continuation{State: p.state, SeenKeys: append([]string(nil), p.order...)}
	if p.in.Continued != nil {
		c.Runs = p.in.Continued.Runs
	}
	c.Runs++
	var ev signing.Event
	for events.ReceiveAsync(&ev) {
		c.Pending = append(c.Pending, ev)
	}
	next := p.in
	next.Continued = c
	workflow.GetLogger(ctx).Info("continuing as new", "runs", c.Runs, "pending", len(c.Pending))
	return workflow.NewContinueAsNewError(ctx, signing.WorkflowType, next)
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
}

// notifyCaller tells the system that started the process how it ended. A
// callback that cannot be delivered is logged; it never changes the result.
func (p *process) notifyCaller(ctx workflow.Context) {
	err := workflow.ExecuteActivity(withOptions(ctx, "notify the caller", time.Minute, 24*time.Hour), acts.NotifyCallback,
		activities.CallbackInput{URL: p.in.CallbackURL, WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID, Result: p.result()}).Get(ctx, nil)
	if err != nil {
		workflow.GetLogger(ctx).Error("callback not delivered", "error", err)
	}
}

// maxReconcileInterval caps the doubling interval between reconciliations.
const maxReconcileInterval = 24 * time.Hour

func (p *process) scheduleReconcile(ctx workflow.Context) {
	wait := min(time.Duration(p.in.ReconcileEvery)<<min(p.state.Reconciliations, 20), maxReconcileInterval)
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

// reconcile asks the provider where the process stands and feeds what the
// notifications missed into the same event path, with keys of its own so
// that a late webhook for the same transition has no second effect on
// terminal states. Expiry is left to the provider's notification: acting on
// it twice would renew twice.
func (p *process) reconcile(ctx workflow.Context) error {
	p.state.Reconciliations++
	p.state.NextReconcileAt = time.Time{}
	var snap providers.Snapshot
	err := workflow.ExecuteActivity(withOptions(ctx, "reconcile with provider", time.Minute, 10*time.Minute), acts.Reconcile,
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
			ev.Key, ev.Type, ev.Signer = "reconcile:signed:"+strings.ToLower(who.Email+"/"+who.Name), signing.EventSignerSigned, &who
			if err := p.handleEvent(ctx, ev); err != nil {
				return err
			}
		}
	}
	ev := base
	switch {
	case snap.Status == signing.StatusCompleted && len(snap.Documents) > 0:
		ev.Key, ev.Type, ev.Documents = "reconcile:completed", signing.EventCompleted, snap.Documents
	case snap.Status == signing.StatusRejected:
		ev.Key, ev.Type, ev.Reason, ev.Signer = "reconcile:rejected", signing.EventRejected, snap.Reason, snap.RejectedBy
	case snap.Status == signing.StatusCancelled:
		ev.Key, ev.Type, ev.Reason = "reconcile:cancelled", signing.EventCancelled, snap.Reason
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

func (p *process) signerStatus(ref signing.SignerRef) signing.SignerStatus {
	for _, s := range p.state.Signers {
		if (ref.Email != "" && strings.EqualFold(s.Email, ref.Email)) || (ref.Email == "" && s.Name == ref.Name) {
			return s.Status
		}
	}
	return ""
}

// maxTokenCheckInterval caps the backoff between token balance checks.
const maxTokenCheckInterval = time.Hour

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
	wait := min(time.Duration(p.in.Resend.Backoff)<<min(p.state.TokenChecks, 20), maxTokenCheckInterval)
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
	err := workflow.ExecuteActivity(withOptions(ctx, "check token balance", time.Minute, 10*time.Minute), acts.TokensAvailable, call).Get(ctx, &tokens)
	if err != nil || tokens <= 0 {
		if err != nil {
			workflow.GetLogger(ctx).Warn("token balance check failed", "error", err)
		}
		p.scheduleTokenCheck(ctx)
		return
	}
	var finished bool
	err = workflow.ExecuteActivity(withOptions(ctx, "finish ready document", time.Minute, time.Hour), acts.FinishReady, call).Get(ctx, &finished)
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

func (p *process) complete(ctx workflow.Context, ev signing.Event) error {
	p.stopResendTimer()
	p.stopTokenTimer()
	p.stopReconcileTimer()
	p.setStatus(ctx, signing.StatusFetchingDocuments)
	var docs []signing.StoredDocument
	err := workflow.ExecuteActivity(withOptions(ctx, "fetch signed documents", 15*time.Minute, 6*time.Hour), acts.FetchDocuments,
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

func (p *process) cancelByRequester(ctx workflow.Context, req signing.CancelRequest) {
	if p.state.Status.Terminal() {
		return // the handler sees the terminal status and answers
	}
	previous := p.state.Status
	p.setStatus(ctx, signing.StatusCancelling)
	err := p.callProvider(ctx, "cancel on request", acts.Cancel, activities.ProviderCall{Reason: req.Reason})
	p.cancelErr, p.cancelDone = err, true
	if err != nil {
		p.setStatus(ctx, previous)
		return
	}
	p.end(ctx, signing.StatusCancelled, "cancelled by requester: "+req.Reason)
}

// callProvider runs a provider activity on this process.
func (p *process) callProvider(ctx workflow.Context, summary string, activity any, call activities.ProviderCall) error {
	call.Provider, call.ProviderRef = p.in.Provider, p.state.ProviderRef
	err := workflow.ExecuteActivity(withOptions(ctx, summary, 2*time.Minute, time.Hour), activity, call).Get(ctx, nil)
	if err != nil {
		workflow.GetLogger(ctx).Warn("provider call failed", "call", summary, "error", err)
	}
	return err
}

func (p *process) stopResendTimer() {
	if p.cancelResend != nil {
		p.cancelResend()
	}
	p.resendTimer, p.cancelResend = nil, nil
	p.state.NextResendAt = time.Time{}
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
	p.state.Events = append(p.state.Events, signing.EventRecord{
		Key: ev.Key, Type: ev.Type, ReceivedAt: workflow.Now(ctx), Effect: effect,
	})
	if n := len(p.state.Events); n > eventLogLimit {
		p.state.Events = p.state.Events[n-eventLogLimit:]
	}
}

func (p *process) touch(ctx workflow.Context) { p.state.UpdatedAt = workflow.Now(ctx) }

func (p *process) setStatus(ctx workflow.Context, s signing.Status) {
	p.state.Status = s
	p.touch(ctx)
	attrs := []temporal.SearchAttributeUpdate{StatusKey.ValueSet(string(s))}
	if _, ok := workflow.GetTypedSearchAttributes(ctx).GetKeyword(ProviderKey); !ok {
		attrs = append(attrs, ProviderKey.ValueSet(p.in.Provider))
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, attrs...); err != nil {
		workflow.GetLogger(ctx).Error("upsert search attributes", "error", err)
	}
	workflow.SetCurrentDetails(ctx, p.details())
}

func (p *process) end(ctx workflow.Context, s signing.Status, reason string) {
	p.state.Reason = reason
	p.setStatus(ctx, s)
}

// details is the markdown the Temporal UI shows as the run's current details.
func (p *process) details() string {
	signed := 0
	for _, s := range p.state.Signers {
		if s.Status == signing.SignerSigned {
			signed++
		}
	}
	d := fmt.Sprintf("**%s** via %s — %d/%d signed", p.state.Status, p.in.Provider, signed, len(p.state.Signers))
	if p.state.ProviderRef != "" {
		d += fmt.Sprintf(" — provider ref `%s`", p.state.ProviderRef)
	}
	if p.state.Reason != "" {
		d += "\n\n" + p.state.Reason
	}
	return d
}

func (p *process) result() Result {
	return Result{
		ProcessID:   p.in.ProcessID,
		Provider:    p.in.Provider,
		ProviderRef: p.state.ProviderRef,
		Status:      p.state.Status,
		Reason:      p.state.Reason,
		RejectedBy:  p.state.RejectedBy,
		Documents:   p.state.Documents,
		Resends:     p.state.Resends,
		Renewals:    p.state.Renewals,
		EndedAt:     p.state.UpdatedAt,
	}
}

// startTimer arms a timer that stopping the process can cancel.
func startTimer(ctx workflow.Context, d time.Duration, summary string) (workflow.Future, workflow.CancelFunc) {
	timerCtx, cancel := workflow.WithCancel(ctx)
	return workflow.NewTimerWithOptions(timerCtx, d, workflow.TimerOptions{Summary: summary}), cancel
}

// acts is only used for its method values as activity references.
var acts *activities.Activities

// withOptions sets activity options: each attempt is bounded by
// startToClose; retries (with backoff, honouring provider Retry-After) go on
// until scheduleToClose, so a provider outage of minutes does not end a process.
func withOptions(ctx workflow.Context, summary string, startToClose, scheduleToClose time.Duration) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		Summary:                summary,
		StartToCloseTimeout:    startToClose,
		ScheduleToCloseTimeout: scheduleToClose,
		// Long calls heartbeat (activities.keepAlive): a worker that dies
		// mid-call is noticed in seconds, not after startToClose.
		HeartbeatTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
		},
	})
}

func signerKey(s *signing.SignerRef) string {
	if s == nil {
		return ""
	}
	return strings.ToLower(s.Email)
}

// rootMessage is the innermost message of an activity failure: the
// provider's own words rather than Temporal's wrapping.
func rootMessage(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Error()
	}
	return err.Error()
}
