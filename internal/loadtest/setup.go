package loadtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"go.temporal.io/api/serviceerror"

	"github.com/firmaflow/firmaflow/docstore"
	"github.com/firmaflow/firmaflow/routing"
	"github.com/firmaflow/firmaflow/signing"
	"github.com/firmaflow/firmaflow/starter/processes"
)

// newRunID tells one run's processes and events from every other run's
// against the same deployment.
func newRunID() string { return strconv.FormatInt(time.Now().UnixNano(), 36) }

// pdf is a minimal PDF padded with a comment to size bytes (or its frame's
// length, if larger).
func pdf(size int) []byte {
	b := []byte("%PDF-1.4\n% firmaflow load test document\n")
	tail := "\n%%EOF\n"
	if pad := size - len(b) - len(tail); pad > 0 {
		b = append(b, '%')
		b = append(b, bytes.Repeat([]byte{'.'}, pad-1)...)
	}
	return append(b, tail...)
}

// uploadDocument puts one document of size bytes into the store; every
// process of the run sends it.
func uploadDocument(ctx context.Context, store *docstore.Store, run string, size int) (signing.DocumentRef, error) {
	doc, err := store.Put(ctx, "inbox/loadtest-"+run+"/contract.pdf", bytes.NewReader(pdf(size)), "application/pdf")
	if err != nil {
		return signing.DocumentRef{}, fmt.Errorf("loadtest: upload document: %w", err)
	}
	return signing.DocumentRef{Name: "contract.pdf", Key: doc.Key, ContentType: "application/pdf"}, nil
}

// processInput is process i of a run: two signers in order, the
// simulator's scenario named in the title.
func processInput(processID, provider, scenario string, doc signing.DocumentRef) signing.Input {
	return signing.Input{
		ProcessID: processID, Provider: provider, Title: "Load test [sim:" + scenario + "]",
		Documents: []signing.DocumentRef{doc},
		Signers: []signing.Signer{
			{Name: "Load Signer One", Email: "signer.one@loadtest.example", Order: 1},
			{Name: "Load Signer Two", Email: "signer.two@loadtest.example", Order: 2},
		},
	}
}

// waitOpen waits until process id is sent, waiting for signatures, and
// findable by the bridge: its route names it as owner (so the measured
// webhooks take the usual path).
// With the simulators it also waits for the simulator's own first webhook,
// so that none of theirs is counted with the load tool's.
func waitOpen(ctx context.Context, env *Env, id string, simulated bool) (ref string, err error) {
	for {
		ready, ref, err := isOpen(ctx, env, id, simulated)
		if err != nil && ctx.Err() == nil && timedOut(err) {
			// One call ran out of time (a query of a process no worker has
			// cached waits for its replay on a saturated worker): that is
			// slow, not failed; the process has until ctx ends.
			err = nil
		}
		if err != nil || ready {
			return ref, err
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("loadtest: process %s not open in time: %w", id, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func isOpen(ctx context.Context, env *Env, id string, simulated bool) (bool, string, error) {
	st, err := processes.State(ctx, env.Client, id)
	if err != nil {
		return false, "", err
	}
	if st.Status.Terminal() {
		return false, "", fmt.Errorf("loadtest: process %s ended while opening: %s %s", id, st.Status, st.Reason)
	}
	if st.ProviderRef == "" || st.Status != signing.StatusAwaitingSignatures || (simulated && len(st.Events) == 0) {
		return false, "", nil
	}
	// Findable: the route names the owner in its memo (what the bridge reads).
	d, err := env.Client.DescribeWorkflowExecution(ctx, routing.RouteWorkflowID(st.Provider, st.ProviderRef), "")
	var notFound *serviceerror.NotFound
	switch {
	case errors.As(err, &notFound):
		return false, "", nil
	case err != nil:
		return false, "", fmt.Errorf("loadtest: describe route of %s: %w", id, err)
	}
	return d.GetWorkflowExecutionInfo().GetMemo().GetFields()[routing.MemoOwner] != nil, st.ProviderRef, nil
}

// timedOut reports whether err is one call's deadline running out.
func timedOut(err error) bool {
	var deadline *serviceerror.DeadlineExceeded
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &deadline)
}
