package activities

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/signing"
)

func markerInput(t *testing.T, a *Activities) signing.Input {
	_, err := a.Store.Put(context.Background(), "inbox/p1/a.pdf", strings.NewReader("%PDF a"), "application/pdf")
	require.NoError(t, err)
	return signing.Input{ProcessID: "p1", Provider: "fake", Title: "Contract",
		Documents: []signing.DocumentRef{{Name: "a.pdf", Key: "inbox/p1/a.pdf"}},
		Signers:   []signing.Signer{{Name: "Ana", Email: "ana@example.com"}}}
}

// A second run under the same workflow id (or a retry after the marker was
// written) gets the earlier provider reference; the provider is called once.
func TestSecondSendOfAProcessDoesNotReachTheProvider(t *testing.T) {
	a, p, env := newActivities(t)
	in := markerInput(t, a)
	_, err := env.ExecuteActivity(a.Send, in)
	require.NoError(t, err)

	var s testsuite.WorkflowTestSuite
	second := s.NewTestActivityEnvironment() // another run, another worker
	second.RegisterActivity(a)
	v, err := second.ExecuteActivity(a.Send, in)
	require.NoError(t, err)
	var out SendOutput
	require.NoError(t, v.Get(&out))
	require.Equal(t, "REF", out.ProviderRef)
	require.Len(t, p.sent, 1, "the provider saw one send")
}

func TestSendUnderAnIdSentWithAnotherInputIsFinal(t *testing.T) {
	a, p, env := newActivities(t)
	in := markerInput(t, a)
	_, err := env.ExecuteActivity(a.Send, in)
	require.NoError(t, err)
	in.Title = "Another contract"
	_, err = env.ExecuteActivity(a.Send, in)
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr))
	require.True(t, appErr.NonRetryable())
	require.Equal(t, ErrTypeAlreadySent, appErr.Type())
	require.Len(t, p.sent, 1)
}

// checkpointingProvider saves progress, then fails as a lost answer would.
type checkpointingProvider struct {
	fakeProvider
	reqs []providers.SendRequest
}

func (c *checkpointingProvider) Send(ctx context.Context, req providers.SendRequest) (providers.SendResult, error) {
	c.reqs = append(c.reqs, req)
	if len(c.reqs) == 1 {
		if err := req.Save(ctx, []byte(`{"tx":"T1"}`)); err != nil {
			return providers.SendResult{}, err
		}
		return providers.SendResult{}, &providers.APIError{Provider: "fake", Op: "start"} // no answer: retryable
	}
	return providers.SendResult{ProviderRef: "T1"}, nil
}

// A retry after an attempt that may have reached the provider is told so,
// with the attempt's start time and checkpointed progress.
func TestRetriedSendResumesFromTheCheckpoint(t *testing.T) {
	a, _, env := newActivities(t)
	cp := &checkpointingProvider{}
	reg := providers.NewRegistry()
	reg.Register(cp, nil)
	a.Providers = reg
	in := markerInput(t, a)
	_, err := env.ExecuteActivity(a.Send, in)
	require.Error(t, err)
	v, err := env.ExecuteActivity(a.Send, in)
	require.NoError(t, err)
	var out SendOutput
	require.NoError(t, v.Get(&out))
	require.Equal(t, "T1", out.ProviderRef)
	require.False(t, cp.reqs[0].Retry)
	require.True(t, cp.reqs[1].Retry)
	require.Equal(t, cp.reqs[0].Since, cp.reqs[1].Since)
	require.JSONEq(t, `{"tx":"T1"}`, string(cp.reqs[1].Resume))

	m, found, err := a.loadSendMarker(context.Background(), "p1")
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, "T1", m.ProviderRef)
	require.Equal(t, 2, m.Attempts)
}
