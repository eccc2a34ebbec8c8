package webhookbridge

import (
	"context"
	"errors"
	"fmt"
	"sync"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/firmaflow/firmaflow/routing"
	"github.com/firmaflow/firmaflow/signing"
)

// ErrOwnerEnded: the owning process already ended; the event can have no
// effect and is acknowledged.
var ErrOwnerEnded = routing.ErrOwnerEnded

// Deliverer hands a neutral event to the workflow that owns it.
type Deliverer interface {
	Deliver(ctx context.Context, ev signing.Event) error
}

// TemporalDeliverer delivers events by workflow id (package routing): to
// the process directly, through its provider process's route, or through
// the provider's account. It never queries visibility.
type TemporalDeliverer struct {
	Client client.Client
	// TaskQueue is where routes, accounts and archive-only processes run.
	TaskQueue string
	// ArchiveOnlyStart names providers whose completion events for a process
	// firmaflow did not send start an archive-only SigningProcess (with
	// SignalWithStart) instead of waiting for an owner that will never exist.
	ArchiveOnlyStart map[string]bool
	// ClaimWindow is how long a route holds events without an owner before
	// it shows as unclaimed to operators.
	ClaimWindow signing.Duration

	once   sync.Once
	router *routing.Router
}

// refBytes are the bytes a provider ref may hold: refs are part of
// workflow ids, and base64-looking ids need + / =. A table, not a regular
// expression: it runs for every event, twice.
var refBytes = func() (ok [256]bool) {
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:@+/=-") {
		ok[c] = true
	}
	return ok
}()

// ValidRef reports whether a provider process id is well-formed: 1 to
// signing.MaxEventProviderRefBytes bytes of refBytes.
func ValidRef(ref string) bool {
	if ref == "" || len(ref) > signing.MaxEventProviderRefBytes {
		return false
	}
	for i := 0; i < len(ref); i++ {
		if !refBytes[ref[i]] {
			return false
		}
	}
	return true
}

// Deliver makes ev durable in Temporal on its way to its process. Errors
// other than ErrOwnerEnded mean "not delivered; try again".
func (d *TemporalDeliverer) Deliver(ctx context.Context, ev signing.Event) error {
	// Whoever calls, an event over its bounds never becomes a signal.
	if err := ev.Validate(); err != nil {
		return fmt.Errorf("deliver: %w", err)
	}
	if !routing.ValidProviderName(ev.Provider) {
		return fmt.Errorf("deliver: malformed provider name %q", ev.Provider)
	}
	if !ev.AccountWide && !ValidRef(ev.ProviderRef) {
		return fmt.Errorf("deliver: malformed provider reference %q", ev.ProviderRef)
	}
	d.once.Do(func() { d.router = routing.NewRouter(d.Client, d.TaskQueue, d.ClaimWindow) })
	err := d.router.Deliver(ctx, ev)
	if errors.Is(err, routing.ErrUnknownProcess) {
		// Addressed to a process id of ours that names none: a process
		// firmaflow did not send.
		if ev.Type == signing.EventCompleted && d.ArchiveOnlyStart[ev.Provider] {
			return d.startArchiveOnly(ctx, ev)
		}
		err = d.router.Hold(ctx, ev)
	}
	if err != nil && !errors.Is(err, ErrOwnerEnded) {
		return fmt.Errorf("deliver: %w", err)
	}
	return err
}

// startArchiveOnly starts (or joins) the archive-only process for ev's
// provider process and hands it the event in the same call.
func (d *TemporalDeliverer) startArchiveOnly(ctx context.Context, ev signing.Event) error {
	in := routing.ArchiveInput(ev.Provider, ev.ProviderRef)
	_, err := d.Client.SignalWithStartWorkflow(ctx, signing.WorkflowID(in.ProcessID), signing.SignalEvent, ev,
		client.StartWorkflowOptions{
			TaskQueue:                d.TaskQueue,
			WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
			WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
			TypedSearchAttributes: temporal.NewSearchAttributes(
				temporal.NewSearchAttributeKeyKeyword(signing.AttrProvider).ValueSet(ev.Provider),
				temporal.NewSearchAttributeKeyKeyword(signing.AttrProviderRef).ValueSet(ev.ProviderRef),
				temporal.NewSearchAttributeKeyKeyword(signing.AttrStatus).ValueSet(string(signing.StatusAwaitingSignatures)),
			),
			StaticSummary: in.Title,
		}, signing.WorkflowType, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return ErrOwnerEnded // archived before; the process already ended
	}
	if err != nil {
		return fmt.Errorf("deliver: start archive-only process for %s %s: %w", ev.Provider, ev.ProviderRef, err)
	}
	return nil
}
