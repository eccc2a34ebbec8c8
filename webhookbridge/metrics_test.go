package webhookbridge

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/firmaflow/firmaflow/internal/promtest"
	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/telemetry"
)

// The bridge counts its requests by route pattern, status and provider,
// and serves the process's Prometheus page at GET /metrics. Names that
// are no route or no provider share one label value.
func TestHTTPMetricsByRouteStatusAndProvider(t *testing.T) {
	page, err := telemetry.Metrics()
	require.NoError(t, err)
	reg := providers.NewRegistry()
	reg.Register(fakeHook{}, fakeHook{})
	b := New(Options{Providers: reg, Secrets: map[string]string{"fake": "s3cret"}, Deliverer: &recordingDeliverer{},
		MaxBodyBytes: 256, Metrics: page})
	srv := httptest.NewServer(b.Handler())
	defer srv.Close()

	series := []struct {
		labels map[string]string
		n      float64
	}{
		{map[string]string{"route": "/webhooks/:provider", "status": "200", "provider": "fake", "method": "POST"}, 2},
		{map[string]string{"route": "/webhooks/:provider", "status": "401", "provider": "fake"}, 1},
		{map[string]string{"route": "/webhooks/:provider", "status": "404", "provider": "unknown"}, 3},
		{map[string]string{"route": "unmatched", "status": "404", "provider": "none"}, 2},
	}
	before := promtest.Scrape(t, srv.URL+"/metrics")

	hook := func(path, token string) { post(t, b, path, token, `{"ref":"P1","type":"signer_signed"}`) }
	hook("/webhooks/fake", "s3cret")
	hook("/webhooks/fake", "s3cret")
	hook("/webhooks/fake", "wrong")
	for _, name := range []string{"nope", "nope2", "scanner-3"} {
		hook("/webhooks/"+name, "s3cret")
	}
	for _, path := range []string{"/wp-login.php", "/.env"} {
		rec := httptest.NewRecorder()
		b.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		require.Equal(t, http.StatusNotFound, rec.Code)
	}

	after := promtest.Scrape(t, srv.URL+"/metrics")
	for _, s := range series {
		was, _ := before.Sum("firmaflow_http_requests_total", s.labels)
		now, _ := after.Sum("firmaflow_http_requests_total", s.labels)
		require.Equal(t, s.n, now-was, "%v", s.labels)
		was, _ = before.Sum("firmaflow_http_request_duration_seconds", s.labels)
		now, _ = after.Sum("firmaflow_http_request_duration_seconds", s.labels)
		require.Equal(t, s.n, now-was, "latency observations %v", s.labels)
	}
	for _, m := range after["firmaflow_http_requests_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			require.NotContains(t, []string{"nope", "nope2", "scanner-3", "/wp-login.php", "/.env"}, l.GetValue(), "a caller's name became a label")
		}
	}
}
