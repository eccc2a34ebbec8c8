package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"

	"github.com/firmaflow/firmaflow/routing"
	"github.com/firmaflow/firmaflow/signing"
)

// HandOverInput is a batch of events a route hands to its owner, in order.
type HandOverInput struct {
	WorkflowID string          `json:"workflow_id"`
	Events     []signing.Event `json:"events"`
}

// HandOverResult says whether the owner could take them.
type HandOverResult struct {
	// OwnerEnded: the owner had ended; the events could have no effect.
	OwnerEnded bool `json:"owner_ended,omitempty"`
}

// OwnerStatus is whether a workflow still runs, and when it closed.
type OwnerStatus struct {
	Running  bool      `json:"running"`
	ClosedAt time.Time `json:"closed_at,omitzero"`
}

// BroadcastInput is an account-wide event for the account's members.
type BroadcastInput struct {
	Members []string      `json:"members"`
	Event   signing.Event `json:"event"`
}

// BroadcastResult lists the members that have ended (to be dropped).
type BroadcastResult struct {
	Ended []string `json:"ended,omitempty"`
}

// HandOver signals the events to their owner, in order.
func (a *Activities) HandOver(ctx context.Context, in HandOverInput) (HandOverResult, error) {
	defer keepAlive(ctx)()
	for _, ev := range in.Events {
		err := a.Temporal.SignalWorkflow(ctx, in.WorkflowID, "", signing.SignalEvent, ev)
		var notFound *serviceerror.NotFound
		if errors.As(err, &notFound) {
			return HandOverResult{OwnerEnded: true}, nil
		}
		if err != nil {
			return HandOverResult{}, fmt.Errorf("hand %s over to %s: %w", ev.Type, in.WorkflowID, err)
		}
	}
	return HandOverResult{}, nil
}

// DescribeOwner reads whether a workflow runs, by id (strongly consistent,
// unlike visibility). A workflow that does not exist counts as closed now.
func (a *Activities) DescribeOwner(ctx context.Context, workflowID string) (OwnerStatus, error) {
	defer keepAlive(ctx)()
	desc, err := a.Temporal.DescribeWorkflowExecution(ctx, workflowID, "")
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return OwnerStatus{ClosedAt: time.Now()}, nil
	}
	if err != nil {
		return OwnerStatus{}, fmt.Errorf("describe %s: %w", workflowID, err)
	}
	info := desc.GetWorkflowExecutionInfo()
	if info.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return OwnerStatus{Running: true}, nil
	}
	return OwnerStatus{ClosedAt: info.GetCloseTime().AsTime()}, nil
}

// Broadcast signals an account-wide event to every member, reporting the
// members that have ended.
func (a *Activities) Broadcast(ctx context.Context, in BroadcastInput) (BroadcastResult, error) {
	defer keepAlive(ctx)()
	var out BroadcastResult
	for _, id := range in.Members {
		err := a.Temporal.SignalWorkflow(ctx, id, "", signing.SignalEvent, in.Event)
		var notFound *serviceerror.NotFound
		switch {
		case errors.As(err, &notFound):
			out.Ended = append(out.Ended, id)
		case err != nil:
			return BroadcastResult{}, fmt.Errorf("broadcast %s to %s: %w", in.Event.Type, id, err)
		}
	}
	return out, nil
}

// OpenMembers keeps the members that still run (an account prunes its
// list with it, so the list stays the size of the open processes).
func (a *Activities) OpenMembers(ctx context.Context, members []string) ([]string, error) {
	defer keepAlive(ctx)()
	open := make([]string, 0, len(members))
	for _, id := range members {
		st, err := a.DescribeOwner(ctx, id)
		if err != nil {
			return nil, err
		}
		if st.Running {
			open = append(open, id)
		}
	}
	return open, nil
}

// registerRoutes makes the sent process reachable by its provider's
// events: the route of its provider process names it as owner. Providers
// whose events carry our process id need no route.
func (a *Activities) registerRoute(ctx context.Context, provider, ref, workflowID string) error {
	if a.Temporal == nil || a.TaskQueue == "" {
		return nil // unit tests without Temporal
	}
	return routing.RegisterOwner(ctx, a.Temporal, a.TaskQueue, provider, ref, workflowID)
}

// joinAccount subscribes the process to its provider's account-wide
// events, before the provider process exists, so that no such event
// misses it.
func (a *Activities) joinAccount(ctx context.Context, provider, workflowID string) error {
	if a.Temporal == nil || a.TaskQueue == "" {
		return nil
	}
	return routing.JoinAccount(ctx, a.Temporal, a.TaskQueue, provider, workflowID)
}
