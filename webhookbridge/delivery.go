package webhookbridge

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/firmaflow/firmaflow/activities"
	"github.com/firmaflow/firmaflow/signing"
	"github.com/firmaflow/firmaflow/workflows"
)

// ErrOwnerNotFound: no signing process claims the provider's process (yet).
// The bridge answers 5xx so that the provider delivers again later.
var ErrOwnerNotFound = errors.New("no signing process owns this provider process yet")

// ErrOwnerEnded: the owning process already ended; the event can have no
// effect and is acknowledged.
var ErrOwnerEnded = errors.New("the owning signing process has ended")

// Deliverer hands a neutral event to the workflow that owns it.
type Deliverer interface {
	Deliver(ctx context.Context, ev signing.Event) error
}

// TemporalDeliverer finds the owning SigningProcess by its search attributes
// (SigningProvider, SigningProviderRef) and signals it.
type TemporalDeliverer struct {
	Client    client.Client
	Namespace string
	// TaskQueue is where archive-only processes are started.
	TaskQueue string
	// ArchiveOnlyStart names providers whose completion events for a process
	// firmaflow did not send start an archive-only SigningProcess (with
	// SignalWithStart) instead of waiting for an owner that will never exist.
	ArchiveOnlyStart map[string]bool
	// HoldUnclaimed puts events whose owner is not found yet into a durable
	// EventInbox workflow instead of answering 5xx; ClaimWindow bounds how
	// long the inbox looks quickly before it is marked unclaimed.
	HoldUnclaimed bool
	ClaimWindow   signing.Duration
}

// refPattern keeps provider refs safe to embed in a visibility query.
// Base64-looking ids (Contractualis) need + / =; a quote never passes.
var refPattern = regexp.MustCompile(`^[A-Za-z0-9._:@+/=-]{1,200}$`)

// ValidRef reports whether a provider process id is well-formed.
func ValidRef(ref string) bool { return refPattern.MatchString(ref) }

// Deliver signals the owner of ev. Errors other than ErrOwnerEnded mean
// "not delivered; try again".
func (d *TemporalDeliverer) Deliver(ctx context.Context, ev signing.Event) error {
	// Whoever calls, an event over its bounds never becomes a signal.
	if err := ev.Validate(); err != nil {
		return fmt.Errorf("deliver: %w", err)
	}
	if !ValidRef(ev.Provider) {
		return fmt.Errorf("deliver: malformed provider name %q", ev.Provider)
	}
	if ev.AccountWide {
		return d.broadcast(ctx, ev)
	}
	if !ValidRef(ev.ProviderRef) {
		return fmt.Errorf("deliver: malformed provider reference %q", ev.ProviderRef)
	}
	// An open inbox for this provider process keeps its events in order:
	// later events queue behind the held ones.
	if d.HoldUnclaimed {
		err := d.Client.SignalWorkflow(ctx, workflows.InboxWorkflowID(ev.Provider, ev.ProviderRef), "", signing.SignalEvent, ev)
		var notFound *serviceerror.NotFound
		if err == nil {
			return nil
		}
		if !errors.As(err, &notFound) {
			return fmt.Errorf("deliver: inbox: %w", err)
		}
	}
	id, running, err := d.owner(ctx, ev.Provider, ev.ProviderRef)
	if errors.Is(err, ErrOwnerNotFound) && ev.Type == signing.EventCompleted && d.ArchiveOnlyStart[ev.Provider] {
		return d.startArchiveOnly(ctx, ev)
	}
	if errors.Is(err, ErrOwnerNotFound) && d.HoldUnclaimed {
		return d.hold(ctx, ev)
	}
	if err != nil {
		return err
	}
	if !running {
		return ErrOwnerEnded
	}
	err = d.Client.SignalWorkflow(ctx, id, "", signing.SignalEvent, ev)
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return ErrOwnerEnded // it ended between the lookup and the signal
	}
	if err != nil {
		return fmt.Errorf("deliver: signal %s: %w", id, err)
	}
	return nil
}

// broadcast signals an account-wide event to every running process of the
// provider. A failure part-way answers 5xx; the provider's redelivery then
// reaches the rest, and the processes already signalled drop the duplicate.
func (d *TemporalDeliverer) broadcast(ctx context.Context, ev signing.Event) error {
	query := fmt.Sprintf("WorkflowType = '%s' AND %s = '%s' AND ExecutionStatus = 'Running'",
		signing.WorkflowType, signing.AttrProvider, ev.Provider)
	var token []byte
	for {
		resp, err := d.Client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: d.Namespace, Query: query, PageSize: 500, NextPageToken: token,
		})
		if err != nil {
			return fmt.Errorf("deliver: list %s processes: %w", ev.Provider, err)
		}
		for _, ex := range resp.GetExecutions() {
			err := d.Client.SignalWorkflow(ctx, ex.GetExecution().GetWorkflowId(), "", signing.SignalEvent, ev)
			var notFound *serviceerror.NotFound
			if err != nil && !errors.As(err, &notFound) {
				return fmt.Errorf("deliver: signal %s: %w", ex.GetExecution().GetWorkflowId(), err)
			}
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			return nil
		}
	}
}

// startArchiveOnly starts (or joins) the archive-only process for ev's
// provider process and hands it the event in the same call.
func (d *TemporalDeliverer) startArchiveOnly(ctx context.Context, ev signing.Event) error {
	// Providers that start archive-only processes echo firmaflow's process
	// id as their reference, so a process firmaflow sent is found by its
	// workflow id even before visibility shows it: no archive-only twin.
	err := d.Client.SignalWorkflow(ctx, signing.WorkflowID(ev.ProviderRef), "", signing.SignalEvent, ev)
	var notFound *serviceerror.NotFound
	if err == nil {
		return nil
	}
	if !errors.As(err, &notFound) {
		return fmt.Errorf("deliver: signal %s: %w", signing.WorkflowID(ev.ProviderRef), err)
	}
	in := workflows.ArchiveInput(ev.Provider, ev.ProviderRef)
	_, err = d.Client.SignalWithStartWorkflow(ctx, signing.WorkflowID(in.ProcessID), signing.SignalEvent, ev,
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

func (d *TemporalDeliverer) owner(ctx context.Context, provider, ref string) (id string, running bool, err error) {
	o, err := activities.FindOwner(ctx, d.Client, d.Namespace, activities.OwnerQuery{Provider: provider, ProviderRef: ref})
	if err != nil {
		return "", false, fmt.Errorf("deliver: %w", err)
	}
	if o.WorkflowID == "" {
		return "", false, ErrOwnerNotFound
	}
	return o.WorkflowID, o.Running, nil
}

// hold puts ev into the provider process's inbox (starting it if needed):
// durable in Temporal, forwarded in order once the owner is found.
func (d *TemporalDeliverer) hold(ctx context.Context, ev signing.Event) error {
	_, err := d.Client.SignalWithStartWorkflow(ctx, workflows.InboxWorkflowID(ev.Provider, ev.ProviderRef), signing.SignalEvent, ev,
		client.StartWorkflowOptions{
			TaskQueue:                d.TaskQueue,
			WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
			TypedSearchAttributes: temporal.NewSearchAttributes(
				temporal.NewSearchAttributeKeyKeyword(signing.AttrProvider).ValueSet(ev.Provider),
				temporal.NewSearchAttributeKeyKeyword(signing.AttrProviderRef).ValueSet(ev.ProviderRef),
			),
			StaticSummary: "Early events for " + ev.Provider + " process " + ev.ProviderRef,
		}, workflows.InboxWorkflowType, workflows.InboxInput{Provider: ev.Provider, ProviderRef: ev.ProviderRef, ClaimWindow: d.ClaimWindow})
	if err != nil {
		return fmt.Errorf("deliver: hold in inbox: %w", err)
	}
	return nil
}
