// Package telemetry sets up OpenTelemetry tracing for every firmaflow
// process: the exporter is chosen by configuration and is off by default, so
// tracing costs nothing until an operator turns it on.
package telemetry

import (
	"context"
	"fmt"
	"os"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/interceptor"

	"github.com/firmaflow/firmaflow/config"
)

// Setup installs the global tracer provider and propagator. The returned
// function flushes and stops the exporter.
func Setup(ctx context.Context, cfg config.Telemetry, component string) (func(context.Context) error, error) {
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	var exporter sdktrace.SpanExporter
	var err error
	if !cfg.Tracing() {
		return func(context.Context) error { return nil }, nil
	}
	switch cfg.TracesExporter {
	case "stdout":
		exporter, err = stdouttrace.New(stdouttrace.WithWriter(os.Stderr))
	case "otlp":
		exporter, err = otlptracehttp.New(ctx)
	default:
		return nil, fmt.Errorf("telemetry: unknown exporter %q", cfg.TracesExporter)
	}
	if err != nil {
		return nil, fmt.Errorf("telemetry: %s exporter: %w", cfg.TracesExporter, err)
	}
	// Schemaless: merging with the SDK's default resource must not depend on
	// which semconv version each module was built against.
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(
		semconv.ServiceName(cfg.ServiceName), attribute.String("firmaflow.component", component)))
	if err != nil {
		return nil, fmt.Errorf("telemetry: resource: %w", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	return tp.Shutdown, nil
}

// TemporalInterceptors trace workflow starts, signals, queries, updates and
// activities, propagating the caller's span into workflows and activities,
// and the span of an event's signal into the activities the event causes
// (EventContext). Clients apply them to the workers built from them, in
// this order: the tracing interceptor outside, the event spans inside it.
func TemporalInterceptors() ([]interceptor.ClientInterceptor, error) {
	tracing, err := opentelemetry.NewTracingInterceptor(opentelemetry.TracerOptions{SpanContextKey: spanKey{}})
	if err != nil {
		return nil, fmt.Errorf("telemetry: tracing interceptor: %w", err)
	}
	return []interceptor.ClientInterceptor{tracing, &eventTracing{}}, nil
}
