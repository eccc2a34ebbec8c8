// Package processes is the small Go API for starting and driving signing
// processes, used by the starter CLI, the bridge's HTTP API and tests. It
// needs only a Temporal client: it starts workflows by their type name, so
// callers never import workflow code.
package processes

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/firmaflow/firmaflow/docstore"
	"github.com/firmaflow/firmaflow/signing"
)

// Start starts a SigningProcess. Process ids are idempotency keys: starting
// an id that exists with the same input returns that process, running or
// ended (a retry after a lost answer or a Temporal restart); a different
// input under the same id fails with *ConflictError, an input that breaks
// the contract's rules with *InvalidInputError.
//
// The id reuse policy REJECT_DUPLICATE and conflict policy FAIL make Temporal
// refuse a second run under the id; other-language clients must set the same
// (see the README), and the Send activity's marker keeps a second run that
// was started anyway from reaching the provider.
func Start(ctx context.Context, c client.Client, taskQueue string, in signing.Input) (client.WorkflowRun, error) {
	in = in.WithDefaults()
	if err := errors.Join(in.Validate(), in.ValidateLimits()); err != nil {
		return nil, &InvalidInputError{Err: err}
	}
	sum := InputSHA256(in)
	opts := client.StartWorkflowOptions{
		ID:                                       signing.WorkflowID(in.ProcessID),
		TaskQueue:                                taskQueue,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy:                 enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			temporal.NewSearchAttributeKeyKeyword(signing.AttrProvider).ValueSet(in.Provider),
			temporal.NewSearchAttributeKeyKeyword(signing.AttrStatus).ValueSet(string(signing.StatusSending)),
		),
		StaticSummary: fmt.Sprintf("%s — %d signer(s) via %s", in.Title, len(in.Signers), in.Provider),
		Memo:          map[string]any{MemoInputSHA256: sum},
	}
	run, err := c.ExecuteWorkflow(ctx, opts, signing.WorkflowType, in)
	if isAlreadyStarted(err) {
		return existing(ctx, c, in, sum)
	}
	if err != nil {
		return nil, fmt.Errorf("start process %s: %w", in.ProcessID, err)
	}
	return run, nil
}

// State queries a process's live state.
func State(ctx context.Context, c client.Client, processID string) (signing.State, error) {
	v, err := c.QueryWorkflow(ctx, signing.WorkflowID(processID), "", signing.QueryState)
	if err != nil {
		return signing.State{}, fmt.Errorf("query process %s: %w", processID, err)
	}
	var st signing.State
	if err := v.Get(&st); err != nil {
		return signing.State{}, fmt.Errorf("query process %s: %w", processID, err)
	}
	return st, nil
}

// Cancel asks a running process to cancel at the provider and waits for the
// outcome. A process that already ended rejects the request: its workflow
// refuses the update while it still runs, and a closed one fails with
// *EndedError.
func Cancel(ctx context.Context, c client.Client, processID, reason string) (signing.State, error) {
	h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   signing.WorkflowID(processID),
		UpdateName:   signing.UpdateCancel,
		Args:         []any{signing.CancelRequest{Reason: reason}},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return signing.State{}, cancelError(ctx, c, processID, err)
	}
	var st signing.State
	if err := h.Get(ctx, &st); err != nil {
		return st, fmt.Errorf("cancel process %s: %w", processID, err)
	}
	return st, nil
}

// Result waits for a process to end and returns its result.
func Result(ctx context.Context, run client.WorkflowRun) (signing.Result, error) {
	var res signing.Result
	err := run.Get(ctx, &res)
	return res, err
}

// UploadFiles puts local files into the document store under
// inbox/<process id>/ and returns the references a process input needs.
func UploadFiles(ctx context.Context, store *docstore.Store, processID string, paths []string) ([]signing.DocumentRef, error) {
	refs := make([]signing.DocumentRef, 0, len(paths))
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("upload %s: %w", p, err)
		}
		name := filepath.Base(p)
		doc, err := store.Put(ctx, "inbox/"+processID+"/"+name, f, "application/pdf")
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("upload %s: %w", p, err)
		}
		refs = append(refs, signing.DocumentRef{Name: name, Key: doc.Key, ContentType: "application/pdf"})
	}
	return refs, nil
}

// RunURL links to a run in the Temporal UI.
func RunURL(uiURL, namespace, workflowID, runID string) string {
	return fmt.Sprintf("%s/namespaces/%s/workflows/%s/%s/history", uiURL,
		url.PathEscape(namespace), url.PathEscape(workflowID), url.PathEscape(runID))
}

// NewProcessID returns a fresh, time-ordered process id (UUIDv7).
func NewProcessID() string { return uuid.Must(uuid.NewV7()).String() }
