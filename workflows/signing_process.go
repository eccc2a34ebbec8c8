// Package workflows holds SigningProcess, the durable workflow behind every
// signing process. It is provider-neutral: it sees signing.Event signals and
// calls activities; it never sees a provider's wire format.
//
// The workflow is split by concern: this file has the types, the entry point
// and the main loop; events.go applies provider events; cancel.go serves the
// cancel update and Temporal-level cancellation; timers.go the doubling
// timers (resend, reconciliation, token checks); continue_as_new.go hands a
// long process to a fresh run; options.go sizes the activities.
package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/firmaflow/firmaflow/activities"
	"github.com/firmaflow/firmaflow/signing"
)

// Input (the caller's part of ProcessInput) and Result of SigningProcess,
// defined in package signing so that clients can use them without
// importing workflow code.
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
func SigningProcess(ctx workflow.Context, in ProcessInput) (Result, error) {
	// First, before any other command: whether this run has every
	// behaviour of the bundle at once (new runs) or asks for each (runs
	// recorded before the bundle, which replay as they ran).
	bundle := workflow.GetVersion(ctx, behaviourBundle, workflow.DefaultVersion, bundleSkipsIndexed)
	bundled := bundle >= 1
	// Runs recorded before clients were kept from setting the workflow's
	// own fields trusted them; they replay as they ran.
	guarded := hasChange(ctx, bundled, "internal-input")
	if guarded {
		if err := checkInternals(workflow.GetInfo(ctx), in); err != nil {
			return Result{}, temporal.NewNonRetryableApplicationError("invalid input: "+err.Error(), ErrTypeInvalidInput, err)
		}
	}
	// Runs recorded before the default resend policy and the input bounds
	// replay with the defaults and checks they started with.
	var err error
	if hasChange(ctx, bundled, "input-defaults") {
		in.Input = in.Input.WithDefaults()
		err = in.validate(true)
	} else {
		in.Input = legacyDefaults(in.Input)
		err = in.validate(false)
	}
	if guarded && !in.ArchiveOnly && in.Continued == nil {
		// The limits came with the guard: runs from before it replay
		// without, and a continued run goes on with the input its process
		// was accepted with, even if that was before the limits.
		err = errors.Join(err, in.Input.ValidateLimits())
	}
	if err != nil {
		return Result{}, temporal.NewNonRetryableApplicationError("invalid input: "+err.Error(), ErrTypeInvalidInput, err)
	}
	p := newProcess(ctx, in)
	p.guardsInternals, p.bundled = guarded, bundled
	p.skipsIndexed = bundle >= bundleSkipsIndexed
	if err := p.registerHandlers(ctx); err != nil {
		return Result{}, err
	}
	// Provider calls and timers run on a context that Temporal-level
	// cancellation does not cut: a cancel requested from the UI or CLI is
	// served like any other cancel (withdraw at the provider, then end),
	// never by abandoning a call half-way.
	work, _ := workflow.NewDisconnectedContext(ctx)
	if in.Continued == nil {
		countProcessStarted(ctx, in.Provider)
	}
	res, err := p.run(work, ctx)
	// A run that continued as new is not the end of its process.
	if p.state.Status.Terminal() {
		countProcessEnded(ctx, in.Provider, p.state.Status)
	}
	return res, err
}

// legacyDefaults are the defaults of runs recorded before the default
// resend policy applied to inputs without one.
func legacyDefaults(in Input) Input {
	resend := in.Resend
	in = in.WithDefaults()
	in.Resend = resend
	if in.Resend.Backoff == 0 {
		in.Resend.Backoff = signing.DefaultResendPolicy.Backoff
	}
	if in.ReconcileEvery < 0 {
		in.ReconcileEvery = signing.Duration(time.Hour)
	}
	return in
}

// process is the workflow's state and behaviour.
type process struct {
	in    ProcessInput
	state signing.State
	seen  map[string]bool
	order []string // seen keys, oldest first, to bound the set

	// Behaviour added after runs were recorded, each behind GetVersion so
	// that recorded runs replay as they ran.
	reconciles      bool // periodic reconciliation with the provider
	rounds          bool // dedup per lifecycle round; expiry confirmed with the provider
	withdraws       bool // giving up always withdraws the process at the provider
	honoursAbort    bool // false once an old run chose to ignore Temporal cancellation
	guardsInternals bool // internal fields checked; archive-only runs never cancel at the provider
	bundled         bool // every change of behaviourBundle, with one version marker (see has)
	skipsIndexed    bool // no upsert of a status visibility already has (bundleSkipsIndexed)

	// reconcileTimer is set while a check of the provider's state is due.
	reconcileTimer  workflow.Future
	cancelReconcile workflow.CancelFunc

	// tokenTimer is set while the process waits for the provider account's
	// tokens (providers.TokenGate) and checks back on a doubling backoff.
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

func newProcess(ctx workflow.Context, in ProcessInput) *process {
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
		honoursAbort:   true,
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

// run drives the process. ctx is disconnected from Temporal-level
// cancellation; abort is the workflow's own context, whose Done channel
// says that an operator asked Temporal to cancel the run.
func (p *process) run(ctx, abort workflow.Context) (Result, error) {
	if p.in.Continued != nil {
		p.restore(ctx)
	} else if p.in.ArchiveOnly {
		// Started by the bridge from a provider's archive of a process sent
		// outside firmaflow: nothing to send, the results are on their way.
		p.state.ProviderRef = p.in.ProviderRef
	} else {
		p.setStatus(ctx, signing.StatusSending)
		var sent activities.SendOutput
		err := workflow.ExecuteActivity(withOptions(ctx, "send documents", sendTimeouts), acts.Send, p.in.Input).Get(ctx, &sent)
		if err != nil {
			p.end(ctx, signing.StatusFailed, "send failed: "+rootMessage(err))
			return p.result(), fmt.Errorf("send: %w", err)
		}
		p.state.ProviderRef = sent.ProviderRef
	}
	if p.in.Continued == nil {
		refSet := ProviderRefKey.ValueSet(p.state.ProviderRef)
		if p.bundled {
			// One upsert (one visibility write) for both.
			p.setStatus(ctx, signing.StatusAwaitingSignatures, refSet)
		} else {
			if err := workflow.UpsertTypedSearchAttributes(ctx, refSet); err != nil {
				return p.result(), err
			}
			p.setStatus(ctx, signing.StatusAwaitingSignatures)
		}
	}

	// Runs recorded before continue-as-new existed replay as DefaultVersion
	// and never continue; new runs do.
	canContinue := p.has(ctx, "continue-as-new")
	// Reconciliation adds timers; runs recorded before it replay without.
	p.reconciles = p.has(ctx, "reconcile")
	p.rounds = p.has(ctx, "lifecycle-rounds")
	p.withdraws = p.has(ctx, "withdraw-on-give-up")
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
		if p.honoursAbort && abort.Err() != nil {
			p.onTemporalCancel(ctx)
			continue
		}
		if canContinue && p.shouldContinueAsNew(ctx, handled) {
			return Result{}, p.continueAsNew(ctx, events)
		}
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(events, func(c workflow.ReceiveChannel, _ bool) {
			var ev signing.Event // fresh per receive: decoding never reuses an earlier event's fields
			c.Receive(ctx, &ev)
			handled++
			failure = p.handleEvent(ctx, ev)
		})
		sel.AddReceive(p.cancelRequests, func(c workflow.ReceiveChannel, _ bool) {
			var req signing.CancelRequest
			c.Receive(ctx, &req)
			p.cancelByRequester(ctx, req)
		})
		if p.honoursAbort {
			sel.AddReceive(abort.Done(), func(workflow.ReceiveChannel, bool) {})
		}
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
	// Runs recorded before settling existed replay without it.
	if settles(p.state.Status) && p.has(ctx, "settle-on-end") {
		p.settle(ctx, events)
	}

	if p.in.CallbackURL != "" && p.has(ctx, "callback") {
		p.notifyCaller(ctx)
	}

	// Signals that arrived after the end are recorded, not silently lost.
	for {
		var late signing.Event
		if !events.ReceiveAsync(&late) {
			break
		}
		p.record(ctx, late, "ignored: process already ended")
	}
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return p.result(), err
	}
	return p.result(), failure
}

// notifyCaller tells the system that started the process how it ended. A
// callback that cannot be delivered is logged; it never changes the result.
func (p *process) notifyCaller(ctx workflow.Context) {
	err := workflow.ExecuteActivity(withOptions(ctx, "notify the caller", callbackTimeouts), acts.NotifyCallback,
		activities.CallbackInput{URL: p.in.CallbackURL, WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID, Result: p.result()}).Get(ctx, nil)
	if err != nil {
		workflow.GetLogger(ctx).Error("callback not delivered", "error", err)
	}
}

// touch marks a change of state: the UI's current details follow every
// change, not only changes of status.
func (p *process) touch(ctx workflow.Context) {
	p.state.UpdatedAt = workflow.Now(ctx)
	workflow.SetCurrentDetails(ctx, p.details())
}

// setStatus changes the status and upserts it, with the provider on the
// first upsert and any other attributes given, as one upsert.
func (p *process) setStatus(ctx workflow.Context, s signing.Status, also ...temporal.SearchAttributeUpdate) {
	p.state.Status = s
	p.touch(ctx)
	indexed := workflow.GetTypedSearchAttributes(ctx)
	_, hasProvider := indexed.GetKeyword(ProviderKey)
	if status, _ := indexed.GetKeyword(StatusKey); p.skipsIndexed && status == string(s) && hasProvider && len(also) == 0 {
		// Set at start (starter/processes does): an upsert would be a
		// visibility write that changes nothing.
		return
	}
	attrs := append([]temporal.SearchAttributeUpdate{StatusKey.ValueSet(string(s))}, also...)
	if !hasProvider {
		attrs = append(attrs, ProviderKey.ValueSet(p.in.Provider))
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, attrs...); err != nil {
		workflow.GetLogger(ctx).Error("upsert search attributes", "error", err)
	}
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
	if p.state.Resends > 0 || p.state.Renewals > 0 {
		d += fmt.Sprintf(" — %d resends, %d renewals", p.state.Resends, p.state.Renewals)
	}
	if p.state.Reason != "" {
		d += "\n\n" + p.state.Reason
	}
	if p.state.WithdrawError != "" {
		d += "\n\nwithdrawal at the provider failed: " + p.state.WithdrawError
	}
	return d
}

func (p *process) result() Result {
	return Result{
		ProcessID:     p.in.ProcessID,
		Provider:      p.in.Provider,
		ProviderRef:   p.state.ProviderRef,
		Status:        p.state.Status,
		Reason:        p.state.Reason,
		RejectedBy:    p.state.RejectedBy,
		Documents:     p.state.Documents,
		Resends:       p.state.Resends,
		Renewals:      p.state.Renewals,
		WithdrawError: p.state.WithdrawError,
		EndedAt:       p.state.UpdatedAt,
	}
}

// acts is only used for its method values as activity references.
var acts *activities.Activities
