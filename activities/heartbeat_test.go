package activities

import (
	"context"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"

	"github.com/firmaflow/firmaflow/docstore"
	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/signing"
)

// slowProvider answers every call after a delay, like a provider slower
// than the heartbeat interval.
type slowProvider struct{ delay time.Duration }

func (s slowProvider) wait(ctx context.Context) error {
	select {
	case <-time.After(s.delay):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
func (s slowProvider) Name() string { return "slow" }
func (s slowProvider) Send(ctx context.Context, _ providers.SendRequest) (providers.SendResult, error) {
	return providers.SendResult{ProviderRef: "REF"}, s.wait(ctx)
}
func (s slowProvider) Resend(ctx context.Context, _ string) error       { return s.wait(ctx) }
func (s slowProvider) Renew(ctx context.Context, _ string, _ int) error { return s.wait(ctx) }
func (s slowProvider) Cancel(ctx context.Context, _, _ string) error    { return s.wait(ctx) }
func (s slowProvider) TokensAvailable(ctx context.Context) (int, error) { return 1, s.wait(ctx) }
func (s slowProvider) FinishReady(ctx context.Context, _ string) (bool, error) {
	return true, s.wait(ctx)
}
func (s slowProvider) Status(ctx context.Context, _ string) (signing.Status, error) {
	return signing.StatusAwaitingSignatures, s.wait(ctx)
}
func (s slowProvider) Download(ctx context.Context, _ signing.EventDocument) (io.ReadCloser, error) {
	return nil, s.wait(ctx)
}

// Every activity that calls a provider heartbeats while the call runs: the
// workflow gives them all a heartbeat timeout, and one that stayed silent
// would be retried while its first call still ran, so the provider would
// resend, renew or cancel twice.
func TestProviderCallsHeartbeatWhileTheProviderIsSlow(t *testing.T) {
	defer func(d time.Duration) { heartbeatEvery = d }(heartbeatEvery)
	heartbeatEvery = 20 * time.Millisecond

	store, err := docstore.Open(context.Background(), "mem://")
	require.NoError(t, err)
	reg := providers.NewRegistry()
	reg.Register(slowProvider{delay: 300 * time.Millisecond}, nil)
	a := &Activities{Providers: reg, Store: store}
	call := ProviderCall{Provider: "slow", ProviderRef: "REF", Reason: "test"}
	for name, run := range map[string]func(*testsuite.TestActivityEnvironment) error{
		"Resend": func(e *testsuite.TestActivityEnvironment) error {
			_, err := e.ExecuteActivity(a.Resend, call)
			return err
		},
		"Renew": func(e *testsuite.TestActivityEnvironment) error {
			_, err := e.ExecuteActivity(a.Renew, call)
			return err
		},
		"Cancel": func(e *testsuite.TestActivityEnvironment) error {
			_, err := e.ExecuteActivity(a.Cancel, call)
			return err
		},
		"Reconcile": func(e *testsuite.TestActivityEnvironment) error {
			_, err := e.ExecuteActivity(a.Reconcile, call)
			return err
		},
		"TokensAvailable": func(e *testsuite.TestActivityEnvironment) error {
			_, err := e.ExecuteActivity(a.TokensAvailable, call)
			return err
		},
		"FinishReady": func(e *testsuite.TestActivityEnvironment) error {
			_, err := e.ExecuteActivity(a.FinishReady, call)
			return err
		},
		"Send": func(e *testsuite.TestActivityEnvironment) error {
			_, err := e.ExecuteActivity(a.Send, signing.Input{ProcessID: "p", Provider: "slow"})
			return err
		},
	} {
		t.Run(name, func(t *testing.T) {
			var s testsuite.WorkflowTestSuite
			env := s.NewTestActivityEnvironment()
			env.RegisterActivity(a)
			var beats atomic.Int32
			env.SetOnActivityHeartbeatListener(func(*activity.Info, converter.EncodedValues) { beats.Add(1) })
			require.NoError(t, run(env))
			// The SDK throttles what reaches the server; one beat during
			// the call shows the activity keeps itself alive.
			require.GreaterOrEqual(t, beats.Load(), int32(1), "%s heartbeats while the provider answers", name)
		})
	}
}
