package telemetry

import (
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/workflow"

	"github.com/firmaflow/firmaflow/signing"
)

// A Go workflow receives its signals from a channel, so the span the tracing
// interceptor opens for a signal (HandleSignal) ends before the workflow
// acts on the event, and the activities the event causes would hang off the
// run's span in another trace. eventTracing remembers each event signal's
// span by the event's key; the workflow puts it back on its context with
// EventContext when it handles the event, so the webhook, the signal and
// the activities it causes are one trace.
//
// Spans are a side effect: nothing here adds a command or reads anything a
// replay could see differently (a replayed signal has no span and its event
// simply keeps the run's span).

// spanKey is where the tracing interceptor keeps a workflow's current span
// (opentelemetry.TracerOptions.SpanContextKey).
type spanKey struct{}

// eventSpansKey is where a run's remembered event spans are.
type eventSpansKey struct{}

// keptEventSpans bounds a run's memory of event spans: an event is
// handled soon after its signal arrives.
const keptEventSpans = 64

// eventSpans maps event keys to the span of the signal that delivered them,
// forgetting the oldest beyond keptEventSpans. A workflow's coroutines run
// one at a time, so it needs no lock.
type eventSpans struct {
	byKey map[string]interceptor.TracerSpan
	order []string
}

func (s *eventSpans) put(key string, span interceptor.TracerSpan) {
	if _, ok := s.byKey[key]; !ok {
		s.order = append(s.order, key)
	}
	s.byKey[key] = span
	if len(s.order) > keptEventSpans {
		delete(s.byKey, s.order[0])
		s.order = s.order[1:]
	}
}

// EventContext is ctx carrying the span of the signal that delivered the
// event with this key, when this worker received that signal live; else
// ctx. Activities started from it are traced under that signal.
func EventContext(ctx workflow.Context, key string) workflow.Context {
	spans, _ := ctx.Value(eventSpansKey{}).(*eventSpans)
	if spans == nil || key == "" {
		return ctx
	}
	span, ok := spans.byKey[key]
	if !ok {
		return ctx
	}
	return workflow.WithValue(ctx, spanKey{}, span)
}

// eventTracing is a worker interceptor; it goes after (inside) the tracing
// interceptor, whose HandleSignal span it reads.
type eventTracing struct {
	interceptor.InterceptorBase
}

func (*eventTracing) InterceptWorkflow(_ workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	i := &eventTracingInbound{spans: &eventSpans{byKey: map[string]interceptor.TracerSpan{}}}
	i.Next = next
	return i
}

type eventTracingInbound struct {
	interceptor.WorkflowInboundInterceptorBase
	spans *eventSpans
}

func (i *eventTracingInbound) ExecuteWorkflow(ctx workflow.Context, in *interceptor.ExecuteWorkflowInput) (any, error) {
	return i.Next.ExecuteWorkflow(workflow.WithValue(ctx, eventSpansKey{}, i.spans), in)
}

func (i *eventTracingInbound) HandleSignal(ctx workflow.Context, in *interceptor.HandleSignalInput) error {
	if in.SignalName == signing.SignalEvent && !workflow.IsReplaying(ctx) {
		if span, ok := ctx.Value(spanKey{}).(interceptor.TracerSpan); ok {
			var ev signing.Event
			// An undecodable event fails in the workflow, not here.
			if converter.GetDefaultDataConverter().FromPayloads(in.Arg, &ev) == nil && ev.Key != "" {
				i.spans.put(ev.Key, span)
			}
		}
	}
	return i.Next.HandleSignal(ctx, in)
}
