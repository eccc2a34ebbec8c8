package loadtest

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/mocks"

	"github.com/firmaflow/firmaflow/providers/autosign"
	"github.com/firmaflow/firmaflow/signing"
)

func TestRouteTableWaitsForTheSendToReturn(t *testing.T) {
	routes := newRouteTable()
	go func() {
		time.Sleep(20 * time.Millisecond)
		routes.add("autosign", "other", "wf-other")
		routes.add("autosign", "tx1", "wf-1")
	}()
	id, ok := routes.owner(context.Background(), "autosign", "tx1", 5*time.Second)
	require.True(t, ok)
	require.Equal(t, "wf-1", id)

	start := time.Now()
	_, ok = routes.owner(context.Background(), "autosign", "never", 30*time.Millisecond)
	require.False(t, ok)
	require.GreaterOrEqual(t, time.Since(start), 30*time.Millisecond)
}

func TestBareRouterSignalsTheRoutedWorkflowOnce(t *testing.T) {
	reg, secrets := testProviders(t)
	c := &mocks.Client{}
	routes := newRouteTable()
	router := &bareRouter{providers: reg, secrets: secrets, client: c, routes: routes, log: quiet}
	w, err := newWebhookWriter(autosign.Name, secrets[autosign.Name], "run1", reg)
	require.NoError(t, err)
	want, err := w.event(context.Background(), "p1", "tx1", 0)
	require.NoError(t, err)
	c.On("SignalWorkflow", mock.Anything, "wf-1", "", signing.SignalEvent, want).Return(nil).Once()

	post := func(secret string) int {
		req, err := w.request("p1", "tx1", 0)
		require.NoError(t, err)
		r := httptest.NewRequest(http.MethodPost, req.path, bytes.NewReader(req.body))
		r.Header = req.header.Clone()
		r.Header.Set("X-Firmaflow-Token", secret)
		rec := httptest.NewRecorder()
		router.ServeHTTP(rec, r)
		return rec.Code
	}
	require.Equal(t, http.StatusUnauthorized, post("wrong"))
	routes.add(autosign.Name, "tx1", "wf-1")
	require.Equal(t, http.StatusOK, post(secrets[autosign.Name]))
	c.AssertExpectations(t)
}
