package providers

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// Every call through Call is counted by provider and outcome, with its
// latency in a histogram of the same labels.
func TestCallsAreCountedByOutcome(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(r.URL.Query().Get("code"))
		w.WriteHeader(code)
	}))
	call := func(url string) {
		req, err := http.NewRequest(http.MethodGet, url, nil)
		require.NoError(t, err)
		if resp, err := Call(srv.Client(), "metered", "status", req); err == nil {
			resp.Body.Close()
		}
	}
	for _, code := range []int{200, 201, 404, 429, 503} {
		call(srv.URL + "/?code=" + strconv.Itoa(code))
	}
	url := srv.URL
	srv.Close()
	call(url + "/?code=200")

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	counts, latencies := map[string]int64{}, map[string]uint64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch data := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, dp := range data.DataPoints {
					if m.Name == MetricCalls && provider(dp.Attributes) == "metered" {
						counts[outcome(dp.Attributes)] += dp.Value
					}
				}
			case metricdata.Histogram[float64]:
				for _, dp := range data.DataPoints {
					if m.Name == MetricCallDuration && provider(dp.Attributes) == "metered" {
						latencies[outcome(dp.Attributes)] += dp.Count
					}
				}
			}
		}
	}
	want := map[string]int64{OutcomeOK: 2, OutcomeClientError: 1, OutcomeThrottled: 1, OutcomeServerError: 1, OutcomeTransport: 1}
	require.Equal(t, want, counts)
	for o, n := range want {
		require.EqualValues(t, n, latencies[o], o)
	}
}

func provider(s attribute.Set) string { v, _ := s.Value("provider"); return v.AsString() }
func outcome(s attribute.Set) string  { v, _ := s.Value("outcome"); return v.AsString() }
