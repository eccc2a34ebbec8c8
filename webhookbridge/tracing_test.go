package webhookbridge

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/signing"
)

// spanDeliverer keeps the span context each delivery ran under: the one
// the signal's own span would be a child of.
type spanDeliverer struct{ spans []trace.SpanContext }

func (d *spanDeliverer) Deliver(ctx context.Context, _ signing.Event) error {
	d.spans = append(d.spans, trace.SpanContextFromContext(ctx))
	return nil
}

func tracedPost(t *testing.T, tp trace.TracerProvider) (*spanDeliverer, string) {
	t.Helper()
	reg := providers.NewRegistry()
	reg.Register(fakeHook{}, fakeHook{})
	d := &spanDeliverer{}
	b := New(Options{Providers: reg, Secrets: map[string]string{"fake": "s3cret"}, Deliverer: d, TracerProvider: tp})
	req := httptest.NewRequest(http.MethodPost, "/webhooks/fake", strings.NewReader(`{"ref":"P1","type":"x"}`))
	req.Header.Set(TokenHeader, "s3cret")
	// The provider's own trace, as a W3C traceparent header.
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	req.Header.Set("traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
	rec := httptest.NewRecorder()
	b.Handler().ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Len(t, d.spans, 1)
	return d, traceID
}

func TestWebhookTracedWhenATracerProviderIsSet(t *testing.T) {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	// otelecho reads the global propagator, as telemetry.Setup sets it.
	restore := setPropagator(propagation.TraceContext{})
	t.Cleanup(restore)

	d, traceID := tracedPost(t, tp)
	require.Len(t, spans.Ended(), 1, "one span for the request")
	server := spans.Ended()[0]
	require.Equal(t, traceID, server.SpanContext().TraceID().String(), "in the provider's trace")
	require.Equal(t, server.SpanContext().SpanID(), d.spans[0].SpanID(), "the delivery runs under the request's span")
}

func TestWebhookNotTracedWithoutATracerProvider(t *testing.T) {
	d, _ := tracedPost(t, nil)
	require.False(t, d.spans[0].IsValid(), "no span is made when tracing is off")
}

func setPropagator(p propagation.TextMapPropagator) (restore func()) {
	old := otel.GetTextMapPropagator()
	otel.SetTextMapPropagator(p)
	return func() { otel.SetTextMapPropagator(old) }
}
