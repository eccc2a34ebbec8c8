package loadtest

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
)

func TestCallCounterCountsEachCallByMethod(t *testing.T) {
	c := NewCallCounter()
	failing := errors.New("unavailable")
	invoke := func(err error) grpc.UnaryInvoker {
		return func(context.Context, string, any, any, *grpc.ClientConn, ...grpc.CallOption) error { return err }
	}
	ctx := context.Background()
	require.NoError(t, c.intercept(ctx, "/temporal.api.workflowservice.v1.WorkflowService/SignalWorkflowExecution", nil, nil, nil, invoke(nil)))
	before := c.Snapshot()
	require.NoError(t, c.intercept(ctx, "/temporal.api.workflowservice.v1.WorkflowService/ListWorkflowExecutions", nil, nil, nil, invoke(nil)))
	require.ErrorIs(t, c.intercept(ctx, "/temporal.api.workflowservice.v1.WorkflowService/SignalWorkflowExecution", nil, nil, nil, invoke(failing)), failing,
		"the call's own error comes back")
	since := c.Snapshot().Since(before)
	require.Equal(t, Calls{"ListWorkflowExecutions": 1, "SignalWorkflowExecution": 1}, since, "a failed call is a call too")
	require.Equal(t, "2.00", since.PerItem(1))
	require.Equal(t, "ListWorkflowExecutions=1 SignalWorkflowExecution=1", since.String())
	require.Equal(t, int64(3), c.Snapshot().Total())

	var none *CallCounter
	require.Nil(t, none.Snapshot())
	require.Equal(t, "n/a", none.Snapshot().Since(nil).PerItem(10))
}

func TestWebhookCounterCountsOnlyWebhookPosts(t *testing.T) {
	var w WebhookCounter
	h := w.Middleware(http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) { rw.WriteHeader(http.StatusNoContent) }))
	for _, r := range []*http.Request{
		httptest.NewRequest(http.MethodPost, "/webhooks/autosign", nil),
		httptest.NewRequest(http.MethodPost, "/webhooks/arqsign/monitoring", nil),
		httptest.NewRequest(http.MethodGet, "/webhooks/autosign", nil),
		httptest.NewRequest(http.MethodPost, "/api/v1/processes", nil),
		httptest.NewRequest(http.MethodGet, "/healthz", nil),
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		require.Equal(t, http.StatusNoContent, rec.Code, "the request reaches the bridge")
	}
	require.Equal(t, int64(2), w.Count())
	var none *WebhookCounter
	require.Equal(t, int64(-1), none.Count())
}
