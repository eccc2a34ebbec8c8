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

// renewingProvider renews, fails its first call as scripted, and reports
// the status it is given.
type renewingProvider struct {
	fakeProvider
	calls     int
	renewals  int  // renewals made at the provider
	landFirst bool // the first call renews before its answer is lost
	status    signing.Status
	statusErr error
}

func (r *renewingProvider) Renew(context.Context, string, int) error {
	r.calls++
	if r.calls == 1 && !r.landFirst {
		return errors.New("connection refused") // never reached the provider
	}
	r.renewals++
	if r.calls == 1 {
		return errors.New("connection reset") // renewed; the answer lost
	}
	return nil
}

func (r *renewingProvider) Status(context.Context, string) (signing.Status, error) {
	return r.status, r.statusErr
}

// runRenewal runs Renew as the workflow does, retried up to three times.
func runRenewal(t *testing.T, p *renewingProvider) error {
	t.Helper()
	store, err := docstore.Open(context.Background(), "mem://")
	require.NoError(t, err)
	reg := providers.NewRegistry()
	reg.Register(p, nil)
	a := &Activities{Providers: reg, Store: store}
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterActivity(a)
	wf := func(ctx workflow.Context) error {
		ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute,
			RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, MaximumAttempts: 3}})
		return workflow.ExecuteActivity(ctx, a.Renew, ProviderCall{Provider: "fake", ProviderRef: "REF", Notice: "x1"}).Get(ctx, nil)
	}
	env.RegisterWorkflow(wf)
	env.ExecuteWorkflow(wf)
	return env.GetWorkflowError()
}

// A renewal retried after its answer was lost finds the process no longer
// expired and does not renew a second time.
func TestRetriedRenewalFindsTheProcessRenewed(t *testing.T) {
	p := &renewingProvider{landFirst: true, status: signing.StatusAwaitingSignatures}
	require.NoError(t, runRenewal(t, p))
	require.Equal(t, 1, p.renewals)
}

// A first attempt that never reached the provider leaves the process
// expired, with no later expiry notice: the retry renews.
func TestRetriedRenewalRenewsWhenTheFirstNeverLanded(t *testing.T) {
	p := &renewingProvider{status: signing.StatusExpired}
	require.NoError(t, runRenewal(t, p))
	require.Equal(t, 1, p.renewals)
}

// A retry that cannot ask the provider does not renew blindly.
func TestRetriedRenewalDoesNotRenewBlind(t *testing.T) {
	p := &renewingProvider{landFirst: true, statusErr: errors.New("status unavailable")}
	require.Error(t, runRenewal(t, p))
	require.Equal(t, 1, p.renewals, "only the first attempt's renewal")
}
