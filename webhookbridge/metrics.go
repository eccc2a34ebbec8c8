package webhookbridge

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// The bridge's HTTP series, by route pattern, method, status and provider
// (for webhooks; "none" elsewhere). Paths no route matches share
// "unmatched" and names that are no provider share "unknown", so a
// scanner's requests cannot add series.
const (
	MetricHTTPRequests = "firmaflow_http_requests"
	MetricHTTPDuration = "firmaflow_http_request_duration"
)

type httpMetrics struct {
	requests metric.Int64Counter
	duration metric.Float64Histogram
}

func newHTTPMetrics() (httpMetrics, error) {
	m := otel.Meter("github.com/firmaflow/firmaflow/webhookbridge")
	requests, err := m.Int64Counter(MetricHTTPRequests, metric.WithDescription("Bridge HTTP requests"))
	if err != nil {
		return httpMetrics{}, err
	}
	duration, err := m.Float64Histogram(MetricHTTPDuration, metric.WithUnit("s"),
		metric.WithDescription("Bridge HTTP request duration"))
	if err != nil {
		return httpMetrics{}, err
	}
	return httpMetrics{requests: requests, duration: duration}, nil
}

// measure records every request once it is answered. b.routes is read at
// request time: it holds the routes registered after the middleware.
func (b *Bridge) measure(hm httpMetrics) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			began := time.Now()
			err := next(c)
			if err != nil {
				// Answered here, so the status recorded is the one sent.
				c.Error(err)
			}
			route := c.Path()
			if !b.routes[route] {
				route = "unmatched"
			}
			attrs := metric.WithAttributes(
				attribute.String("route", route),
				attribute.String("method", c.Request().Method),
				attribute.String("status", strconv.Itoa(c.Response().Status)),
				attribute.String("provider", b.providerLabel(c)),
			)
			ctx := c.Request().Context()
			hm.requests.Add(ctx, 1, attrs)
			hm.duration.Record(ctx, time.Since(began).Seconds(), attrs)
			return nil
		}
	}
}

func (b *Bridge) providerLabel(c echo.Context) string {
	name := c.Param("provider")
	if name == "" {
		return "none"
	}
	if _, ok := b.opts.Providers.Webhook(name); !ok {
		return "unknown"
	}
	return name
}

// routePatterns are the patterns of the routes e serves.
func routePatterns(e *echo.Echo) map[string]bool {
	out := map[string]bool{}
	for _, r := range e.Routes() {
		out[r.Path] = true
	}
	return out
}

// metricsPage serves Options.Metrics at GET /metrics.
func metricsPage(h http.Handler) echo.HandlerFunc { return echo.WrapHandler(h) }
