package providers

import (
	"context"
	"net/http"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Provider API calls, by provider and outcome (never by operation: some
// operations name a document). The duration runs until the answer's
// headers, so a streamed download does not count its body.
const (
	MetricCalls        = "firmaflow_provider_calls"
	MetricCallDuration = "firmaflow_provider_call_duration"
)

// Call outcomes.
const (
	OutcomeOK          = "ok"
	OutcomeClientError = "client_error"
	OutcomeThrottled   = "throttled"
	OutcomeServerError = "server_error"
	OutcomeTransport   = "transport_error"
)

type callInstruments struct {
	calls    metric.Int64Counter
	duration metric.Float64Histogram
}

// instruments come from the global meter provider: until a process sets
// one up (telemetry.Metrics) they record nothing.
var instruments = sync.OnceValue(func() callInstruments {
	m := otel.Meter("github.com/firmaflow/firmaflow/providers")
	calls, err := m.Int64Counter(MetricCalls, metric.WithDescription("Provider API calls by provider and outcome"))
	if err != nil {
		otel.Handle(err)
	}
	duration, err := m.Float64Histogram(MetricCallDuration, metric.WithUnit("s"),
		metric.WithDescription("Provider API call latency until the answer's headers"))
	if err != nil {
		otel.Handle(err)
	}
	return callInstruments{calls: calls, duration: duration}
})

func callOutcome(resp *http.Response, err error) string {
	switch {
	case err != nil:
		return OutcomeTransport
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return OutcomeOK
	case resp.StatusCode == http.StatusTooManyRequests:
		return OutcomeThrottled
	case resp.StatusCode >= 500:
		return OutcomeServerError
	default:
		return OutcomeClientError
	}
}

func recordCall(ctx context.Context, provider string, took time.Duration, resp *http.Response, err error) {
	ins := instruments()
	attrs := metric.WithAttributes(attribute.String("provider", provider), attribute.String("outcome", callOutcome(resp, err)))
	if ins.calls != nil {
		ins.calls.Add(ctx, 1, attrs)
	}
	if ins.duration != nil {
		ins.duration.Record(ctx, took.Seconds(), attrs)
	}
}
