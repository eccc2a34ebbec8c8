package routing

import (
	"context"
	"errors"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/firmaflow/firmaflow/signing"
)

// ErrOwnerEnded: the owning process has ended; the event can have no
// effect and is acknowledged.
var ErrOwnerEnded = errors.New("the owning signing process has ended")

// ErrUnknownProcess: an event addressed to a process id of ours names no
// process that ever existed (within retention). The caller decides: hold
// it on the provider process's route, or start an archive-only process.
var ErrUnknownProcess = errors.New("no signing process has this id")

// DefaultCacheSize bounds the owners a Router remembers.
const DefaultCacheSize = 100_000

// Router delivers events by workflow id. It is safe for concurrent use.
type Router struct {
	client      client.Client
	taskQueue   string
	claimWindow signing.Duration
	owners      *ownerCache
}

// NewRouter returns a router that starts routing workflows on taskQueue.
func NewRouter(c client.Client, taskQueue string, claimWindow signing.Duration) *Router {
	return &Router{client: c, taskQueue: taskQueue, claimWindow: claimWindow, owners: newOwnerCache(DefaultCacheSize)}
}

// Deliver makes ev durable in Temporal on its way to its process: nil once
// it is, ErrOwnerEnded when it can have no effect, ErrUnknownProcess for an
// id of ours that names nothing; any other error means "not delivered".
func (r *Router) Deliver(ctx context.Context, ev signing.Event) error {
	switch {
	case ev.AccountWide:
		return r.toAccount(ctx, ev)
	case ev.ProcessID != "":
		return r.direct(ctx, ev)
	default:
		return r.toRoute(ctx, ev)
	}
}

// Hold puts ev on its provider process's route, whatever it is addressed to.
func (r *Router) Hold(ctx context.Context, ev signing.Event) error {
	_, err := r.client.SignalWithStartWorkflow(ctx, RouteWorkflowID(ev.Provider, ev.ProviderRef), signing.SignalEvent, ev,
		r.routeOptions(ev.Provider, ev.ProviderRef, nil), RouteWorkflowType,
		RouteInput{Provider: ev.Provider, ProviderRef: ev.ProviderRef, ClaimWindow: r.claimWindow})
	if err != nil {
		return fmt.Errorf("hold on route of %s %s: %w", ev.Provider, ev.ProviderRef, err)
	}
	return nil
}

func (r *Router) direct(ctx context.Context, ev signing.Event) error {
	id := signing.WorkflowID(ev.ProcessID)
	err := r.client.SignalWorkflow(ctx, id, "", signing.SignalEvent, ev)
	if !isNotFound(err) {
		return wrap(err, "signal "+id)
	}
	// Not running: ended, or never ours. One Describe tells them apart.
	_, err = r.client.DescribeWorkflowExecution(ctx, id, "")
	switch {
	case err == nil:
		return ErrOwnerEnded
	case isNotFound(err):
		return ErrUnknownProcess
	default:
		return fmt.Errorf("describe %s: %w", id, err)
	}
}

// toRoute signals the route's owner, found in the cache or in the route's
// memo; without an owner the event waits on the route.
func (r *Router) toRoute(ctx context.Context, ev signing.Event) error {
	routeID := RouteWorkflowID(ev.Provider, ev.ProviderRef)
	owner, ok := r.owners.get(routeID)
	if !ok {
		var err error
		if owner, err = r.lookupOwner(ctx, routeID); err != nil {
			return err
		}
		if owner == "" {
			return r.Hold(ctx, ev)
		}
		r.owners.put(routeID, owner)
	}
	err := r.client.SignalWorkflow(ctx, owner, "", signing.SignalEvent, ev)
	if isNotFound(err) {
		return ErrOwnerEnded
	}
	return wrap(err, "signal "+owner)
}

// lookupOwner reads the route's owner from its memo ("" when the route
// does not exist or has no owner yet).
func (r *Router) lookupOwner(ctx context.Context, routeID string) (string, error) {
	desc, err := r.client.DescribeWorkflowExecution(ctx, routeID, "")
	if isNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("describe route %s: %w", routeID, err)
	}
	field := desc.GetWorkflowExecutionInfo().GetMemo().GetFields()[MemoOwner]
	if field == nil {
		return "", nil
	}
	var owner string
	if err := converter.GetDefaultDataConverter().FromPayload(field, &owner); err != nil {
		return "", fmt.Errorf("route %s: owner memo: %w", routeID, err)
	}
	return owner, nil
}

func (r *Router) toAccount(ctx context.Context, ev signing.Event) error {
	_, err := r.client.SignalWithStartWorkflow(ctx, AccountWorkflowID(ev.Provider), signing.SignalEvent, ev,
		accountOptions(r.taskQueue, ev.Provider), AccountWorkflowType, AccountInput{Provider: ev.Provider})
	return wrap(err, "signal account of "+ev.Provider)
}

func (r *Router) routeOptions(provider, ref string, memo map[string]any) client.StartWorkflowOptions {
	return routeOptions(r.taskQueue, provider, ref, memo)
}

func routeOptions(taskQueue, provider, ref string, memo map[string]any) client.StartWorkflowOptions {
	status := RouteHolding
	if memo[MemoOwner] != nil {
		status = RouteRouted
	}
	return client.StartWorkflowOptions{
		ID:                       RouteWorkflowID(provider, ref),
		TaskQueue:                taskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		Memo:                     memo,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			temporal.NewSearchAttributeKeyKeyword(signing.AttrProvider).ValueSet(provider),
			temporal.NewSearchAttributeKeyKeyword(signing.AttrProviderRef).ValueSet(ref),
			temporal.NewSearchAttributeKeyKeyword(signing.AttrStatus).ValueSet(status),
		),
		StaticSummary: "Route of " + provider + " process " + ref,
	}
}

func accountOptions(taskQueue, provider string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:                       AccountWorkflowID(provider),
		TaskQueue:                taskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		StaticSummary:            "Account-wide events of " + provider,
	}
}

func isNotFound(err error) bool {
	var nf *serviceerror.NotFound
	return errors.As(err, &nf)
}

func wrap(err error, what string) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}
