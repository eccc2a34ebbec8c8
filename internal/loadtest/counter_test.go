package loadtest

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

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

func TestWebhookCounterTimesOnlyWebhookPosts(t *testing.T) {
	var w WebhookCounter
	h := w.Middleware(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/webhooks/autosign" {
			time.Sleep(5 * time.Millisecond)
		} else {
			time.Sleep(50 * time.Millisecond)
		}
	}))
	for _, r := range []*http.Request{
		httptest.NewRequest(http.MethodPost, "/webhooks/autosign", nil),
		httptest.NewRequest(http.MethodPost, "/webhooks/autosign", nil),
		httptest.NewRequest(http.MethodPost, "/api/v1/processes", nil),
	} {
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	require.GreaterOrEqual(t, w.Busy(), 10*time.Millisecond, "both webhooks, whole")
	require.Less(t, w.Busy(), 50*time.Millisecond, "not the API request")
	var none *WebhookCounter
	require.Equal(t, time.Duration(-1), none.Busy())
}
