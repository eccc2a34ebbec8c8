package processes

import (
	"context"
	"errors"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/firmaflow/firmaflow/signing"
)

// InvalidInputError: the input breaks a rule of the public contract
// (signing.Input's Validate and ValidateLimits). Never retryable.
type InvalidInputError struct{ Err error }

func (e *InvalidInputError) Error() string { return "invalid input: " + e.Err.Error() }
func (e *InvalidInputError) Unwrap() error { return e.Err }

// EndedError: the process exists but has ended, so it cannot be cancelled.
type EndedError struct {
	ProcessID string
	// Status is Temporal's status of the run ("Completed", "Terminated", ...).
	Status string
}

func (e *EndedError) Error() string {
	return fmt.Sprintf("process %s has already ended (%s); there is nothing to cancel", e.ProcessID, e.Status)
}

// cancelError explains a refused cancel update. Temporal answers NotFound
// both for an unknown workflow and for one that has closed; a closed one
// is an *EndedError, so callers can tell "ended" (409) from "unknown" (404).
func cancelError(ctx context.Context, c client.Client, processID string, err error) error {
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		desc, derr := c.DescribeWorkflowExecution(ctx, signing.WorkflowID(processID), "")
		if derr == nil {
			if st := desc.GetWorkflowExecutionInfo().GetStatus(); st != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
				return &EndedError{ProcessID: processID, Status: st.String()}
			}
		}
	}
	return fmt.Errorf("cancel process %s: %w", processID, err)
}
