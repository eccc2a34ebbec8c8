package activities

import (
	"context"
	"errors"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/firmaflow/firmaflow/signing"
)

// OwnerQuery names a provider process.
type OwnerQuery struct {
	Provider    string `json:"provider"`
	ProviderRef string `json:"provider_ref"`
}

// Owner is the SigningProcess that owns a provider process ("" when none
// is visible yet).
type Owner struct {
	WorkflowID string `json:"workflow_id"`
	Running    bool   `json:"running"`
}

// ForwardInput is a batch of events for one owner, in arrival order.
type ForwardInput struct {
	WorkflowID string          `json:"workflow_id"`
	Events     []signing.Event `json:"events"`
}

// FindOwner looks the owning SigningProcess up by its search attributes.
func (a *Activities) FindOwner(ctx context.Context, q OwnerQuery) (Owner, error) {
	defer keepAlive(ctx)()
	return FindOwner(ctx, a.Temporal, a.Namespace, q)
}

// FindOwner is shared by the bridge and the inbox.
func FindOwner(ctx context.Context, c interface {
	ListWorkflow(context.Context, *workflowservice.ListWorkflowExecutionsRequest) (*workflowservice.ListWorkflowExecutionsResponse, error)
}, namespace string, q OwnerQuery) (Owner, error) {
	query := fmt.Sprintf("WorkflowType = '%s' AND %s = '%s' AND %s = '%s'",
		signing.WorkflowType, signing.AttrProvider, q.Provider, signing.AttrProviderRef, q.ProviderRef)
	resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: namespace, Query: query, PageSize: 10})
	if err != nil {
		return Owner{}, fmt.Errorf("find owner of %s %s: %w", q.Provider, q.ProviderRef, err)
	}
	for _, ex := range resp.GetExecutions() {
		if ex.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
			return Owner{WorkflowID: ex.GetExecution().GetWorkflowId(), Running: true}, nil
		}
	}
	if len(resp.GetExecutions()) > 0 {
		return Owner{WorkflowID: resp.GetExecutions()[0].GetExecution().GetWorkflowId()}, nil
	}
	return Owner{}, nil
}

// ForwardEvents signals the events to their owner, in order. An owner that
// ended meanwhile can take no more events; that is not an error.
func (a *Activities) ForwardEvents(ctx context.Context, in ForwardInput) error {
	defer keepAlive(ctx)()
	for _, ev := range in.Events {
		err := a.Temporal.SignalWorkflow(ctx, in.WorkflowID, "", signing.SignalEvent, ev)
		var notFound *serviceerror.NotFound
		if errors.As(err, &notFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("forward %s to %s: %w", ev.Type, in.WorkflowID, err)
		}
	}
	return nil
}
