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

	"github.com/firmaflow/firmaflow/signing"
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
}

// refPattern keeps provider refs safe to embed in a visibility query.
var refPattern = regexp.MustCompile(`^[A-Za-z0-9._:@-]{1,200}$`)

// ValidRef reports whether a provider process id is well-formed.
func ValidRef(ref string) bool { return refPattern.MatchString(ref) }

// Deliver signals the owner of ev. Errors other than ErrOwnerEnded mean
// "not delivered; try again".
func (d *TemporalDeliverer) Deliver(ctx context.Context, ev signing.Event) error {
	if !ValidRef(ev.ProviderRef) || !ValidRef(ev.Provider) {
		return fmt.Errorf("deliver: malformed provider reference %q", ev.ProviderRef)
	}
	id, running, err := d.owner(ctx, ev.Provider, ev.ProviderRef)
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

func (d *TemporalDeliverer) owner(ctx context.Context, provider, ref string) (id string, running bool, err error) {
	query := fmt.Sprintf("WorkflowType = '%s' AND %s = '%s' AND %s = '%s'",
		signing.WorkflowType, signing.AttrProvider, provider, signing.AttrProviderRef, ref)
	resp, err := d.Client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
		Namespace: d.Namespace, Query: query, PageSize: 10,
	})
	if err != nil {
		return "", false, fmt.Errorf("deliver: find owner of %s %s: %w", provider, ref, err)
	}
	for _, ex := range resp.GetExecutions() {
		if ex.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
			return ex.GetExecution().GetWorkflowId(), true, nil
		}
	}
	if len(resp.GetExecutions()) > 0 {
		return resp.GetExecutions()[0].GetExecution().GetWorkflowId(), false, nil
	}
	return "", false, ErrOwnerNotFound
}
