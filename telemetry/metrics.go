package telemetry

import (
	"fmt"
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/opentelemetry"
)

// Meter scopes: the Temporal SDK's series and firmaflow's own.
const (
	sdkMeterName = "go.temporal.io/sdk"
	MeterName    = "github.com/firmaflow/firmaflow"
)

// metricsSetup is per process: every component of one process (the dev
// stack's bridge and in-process worker) feeds one registry, so one page
// carries all of their series.
var metricsSetup = sync.OnceValues(func() (http.Handler, error) {
	reg := prometheus.NewRegistry()
	if err := reg.Register(collectors.NewGoCollector()); err != nil {
		return nil, fmt.Errorf("telemetry: Go collector: %w", err)
	}
	if err := reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
		return nil, fmt.Errorf("telemetry: process collector: %w", err)
	}
	exporter, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return nil, fmt.Errorf("telemetry: Prometheus exporter: %w", err)
	}
	otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter)))
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), nil
})

// Metrics installs, once per process, the global meter provider whose
// series are exported to Prometheus, and returns the handler serving them
// (GET /metrics).
func Metrics() (http.Handler, error) { return metricsSetup() }

// MetricsPage is Metrics for servers that cannot fail at wiring time: a
// setup failure is answered 503 on the page rather than ending the server.
func MetricsPage() http.Handler {
	h, err := Metrics()
	if err != nil {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "metrics unavailable: "+err.Error(), http.StatusServiceUnavailable)
		})
	}
	return h
}

// TemporalMetricsHandler feeds the Temporal SDK's metrics (client, worker,
// and what workflows and activities record through it) to the global
// meter provider. Before Metrics is called they go nowhere, at no cost.
func TemporalMetricsHandler() client.MetricsHandler {
	return opentelemetry.NewMetricsHandler(opentelemetry.MetricsHandlerOptions{
		Meter: otel.Meter(sdkMeterName),
		// Prometheus counters, not up-down gauges, for rate().
		UseMonotonicCounters: true,
		OnError:              otel.Handle,
	})
}
