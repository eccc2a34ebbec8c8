package processes

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/firmaflow/firmaflow/signing"
)

// MemoInputSHA256 is the memo field holding the SHA-256 of the canonical
// input a process was started with. A retried start compares against it, so
// "same id, same input" returns the process and "same id, other input" is a
// conflict, without reading workflow history.
const MemoInputSHA256 = "input_sha256"

// ConflictError: a process with this id exists and was started with a
// different input (or with none firmaflow can compare). It is never retryable.
type ConflictError struct {
	ProcessID string
	// Reason says what differs, for the caller (never the input itself).
	Reason string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("process %s already exists with a different input: %s", e.ProcessID, e.Reason)
}

// InputSHA256 is the digest a process's memo carries (signing.Input.SHA256).
func InputSHA256(in signing.Input) string { return in.SHA256() }

// existing resolves a start that Temporal refused because the workflow id is
// taken (running, or ended under the REJECT_DUPLICATE reuse policy): the same
// input gets the existing process back, running or ended; anything else is a
// *ConflictError.
func existing(ctx context.Context, c client.Client, in signing.Input, wantSHA string) (client.WorkflowRun, error) {
	id := signing.WorkflowID(in.ProcessID)
	desc, err := c.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		return nil, fmt.Errorf("start process %s: it exists, but describing it failed: %w", in.ProcessID, err)
	}
	var got string
	if f := desc.GetWorkflowExecutionInfo().GetMemo().GetFields()[MemoInputSHA256]; f != nil {
		if err := converter.GetDefaultDataConverter().FromPayload(f, &got); err != nil {
			got = ""
		}
	}
	switch {
	case got == "":
		return nil, &ConflictError{ProcessID: in.ProcessID, Reason: "the existing process carries no input digest (started by another client?)"}
	case got != wantSHA:
		return nil, &ConflictError{ProcessID: in.ProcessID, Reason: "input digest differs"}
	}
	return c.GetWorkflow(ctx, id, desc.GetWorkflowExecutionInfo().GetExecution().GetRunId()), nil
}

// isAlreadyStarted matches Temporal's "id taken" answer by type, never by text.
func isAlreadyStarted(err error) bool {
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	return errors.As(err, &started)
}
