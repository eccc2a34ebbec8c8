package activities

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/firmaflow/firmaflow/docstore"
	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/signing"
)

// lostAnswerProvider cancels, then loses its first answer (as a worker
// killed mid-call would), and reports the process cancelled afterwards.
type lostAnswerProvider struct {
	fakeProvider
	cancels   int
	cancelled bool
}

func (l *lostAnswerProvider) Cancel(context.Context, string, string) error {
	l.cancels++
	l.cancelled = true
	if l.cancels == 1 {
		return errors.New("connection reset (the provider had cancelled)")
	}
	return nil
}

func (l *lostAnswerProvider) Status(context.Context, string) (signing.Status, error) {
	if l.cancelled {
		return signing.StatusCancelled, nil
	}
	return signing.StatusAwaitingSignatures, nil
}

// A cancel retried after its answer was lost asks the provider first and
// does not cancel a second time.
func TestRetriedCancelDoesNotCallTheProviderTwice(t *testing.T) {
	store, err := docstore.Open(context.Background(), "mem://")
	require.NoError(t, err)
	p := &lostAnswerProvider{}
	reg := providers.NewRegistry()
	reg.Register(p, nil)
	a := &Activities{Providers: reg, Store: store}
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterActivity(a)
	wf := func(ctx workflow.Context) error {
		ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute,
			RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, MaximumAttempts: 3}})
		return workflow.ExecuteActivity(ctx, a.Cancel, ProviderCall{Provider: "fake", ProviderRef: "REF", Reason: "r"}).Get(ctx, nil)
	}
	env.RegisterWorkflow(wf)
	env.ExecuteWorkflow(wf)
	require.NoError(t, env.GetWorkflowError())
	require.Equal(t, 1, p.cancels, "the retry found the process cancelled")
}
