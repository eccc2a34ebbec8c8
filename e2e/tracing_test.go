package e2e

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/firmaflow/firmaflow/providers/autosign"
	"github.com/firmaflow/firmaflow/signing"
	"github.com/firmaflow/firmaflow/simulators/autosignsim"
)

// stackSpans keeps the spans the stack finishes while a test records them
// (recordSpans); the rest of the run traces without keeping anything.
var stackSpans = &gatedExporter{InMemoryExporter: tracetest.NewInMemoryExporter()}

type gatedExporter struct {
	*tracetest.InMemoryExporter
	on atomic.Bool
}

func (g *gatedExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	if !g.on.Load() {
		return nil
	}
	return g.InMemoryExporter.ExportSpans(ctx, spans)
}

// installTracing makes the in-memory exporter the global tracer provider's,
// before the stack is built: its worker, bridge and clients trace there.
func installTracing() {
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSyncer(stackSpans)))
}

func recordSpans(t *testing.T) {
	stackSpans.Reset()
	stackSpans.on.Store(true)
	t.Cleanup(func() { stackSpans.on.Store(false); stackSpans.Reset() })
}

// ancestry is the span of this name in this workflow, then its parent, its
// parent's parent, up to the root; nil while one of them is not finished.
func ancestry(spans tracetest.SpanStubs, workflowID, name string) []tracetest.SpanStub {
	byID := map[trace.SpanID]tracetest.SpanStub{}
	var start *tracetest.SpanStub
	for i, s := range spans {
		byID[s.SpanContext.SpanID()] = s
		for _, a := range s.Attributes {
			if s.Name == name && a.Key == "temporalWorkflowID" && a.Value.AsString() == workflowID {
				start = &spans[i]
			}
		}
	}
	if start == nil {
		return nil
	}
	chain := []tracetest.SpanStub{*start}
	for s := *start; s.Parent.IsValid(); {
		parent, ok := byID[s.Parent.SpanID()]
		if !ok {
			return nil
		}
		chain = append(chain, parent)
		s = parent
	}
	return chain
}

// One trace runs from the provider's webhook to the activity it causes:
// the bridge's request (its root), the bridge's signal, the workflow's
// handling of it, and the completion's fetch of the signed documents,
// each the parent of the next.
func TestWebhookTraceReachesTheFetch(t *testing.T) {
	recordSpans(t)
	// Autosign's webhooks name firmaflow's process: the bridge signals it directly.
	in, wait := startOn(t, autosign.Name, autosignsim.ScenarioSign, fastPolicy)
	res := wait()
	require.Equal(t, signing.StatusCompleted, res.Status, res.Reason)

	var chain []tracetest.SpanStub
	// The bridge ends its request's span as it answers, which may be
	// after the workflow ended.
	require.Eventually(t, func() bool {
		chain = ancestry(stackSpans.GetSpans(), signing.WorkflowID(in.ProcessID), "RunActivity:FetchDocuments")
		return chain != nil
	}, time.Minute, 20*time.Millisecond, "the fetch's span and all its ancestors are finished")
	var names []string
	for _, s := range chain {
		names = append(names, s.Name)
		require.Equal(t, chain[0].SpanContext.TraceID(), s.SpanContext.TraceID(), "one trace")
	}
	t.Logf("trace %s: %q", chain[0].SpanContext.TraceID(), names)
	require.Len(t, names, 5, "fetch ← its start ← the signal's handling ← the bridge's signal ← the webhook: %q", names)
	require.Equal(t, []string{
		"RunActivity:FetchDocuments", "StartActivity:FetchDocuments",
		"HandleSignal:" + signing.SignalEvent, "SignalWorkflow:" + signing.SignalEvent,
	}, names[:4])
	root := chain[4]
	require.Equal(t, trace.SpanKindServer, root.SpanKind, "the root is the bridge's request: %q", names)
	require.True(t, strings.Contains(root.Name, "/webhooks/"), "the root is a webhook request: %q", root.Name)
}
