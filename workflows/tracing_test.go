package workflows

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/firmaflow/firmaflow/activities"
	"github.com/firmaflow/firmaflow/routing"
	"github.com/firmaflow/firmaflow/signing"
	"github.com/firmaflow/firmaflow/telemetry"
)

var (
	tracedOnce sync.Once
	traced     *tracetest.InMemoryExporter
)

// tracedWorker is worker options with firmaflow's tracing interceptors on
// an in-memory exporter. The exporter is process-wide (the interceptors
// trace through the global provider); each test tells its spans apart by
// workflow id.
func tracedWorker(t *testing.T) (worker.Options, *tracetest.InMemoryExporter) {
	tracedOnce.Do(func() {
		traced = tracetest.NewInMemoryExporter()
		otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSyncer(traced)))
	})
	clientSide, err := telemetry.TemporalInterceptors()
	require.NoError(t, err)
	var opts worker.Options
	for _, i := range clientSide {
		opts.Interceptors = append(opts.Interceptors, i.(interceptor.WorkerInterceptor))
	}
	return opts, traced
}

// spansNamed are the spans of one workflow id with this name, in the order
// they ended.
func spansNamed(spans tracetest.SpanStubs, workflowID, name string) tracetest.SpanStubs {
	var out tracetest.SpanStubs
	for _, s := range spans {
		if s.Name != name {
			continue
		}
		for _, a := range s.Attributes {
			if a.Key == "temporalWorkflowID" && a.Value.AsString() == workflowID {
				out = append(out, s)
			}
		}
	}
	return out
}

// The activities an event causes are traced under that event's signal, not
// under the run: the completion's fetch hangs off the completion's
// HandleSignal span, in its trace.
func TestEventActivitiesAreTracedUnderTheirSignal(t *testing.T) {
	opts, exporter := tracedWorker(t)
	h := newHarness(t)
	h.env.SetWorkerOptions(opts)
	const workflowID = "traced-process"
	h.env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: workflowID})
	h.signedByBothThenCompleted()
	res, err := h.run(testInput())
	require.NoError(t, err)
	require.Equal(t, signing.StatusCompleted, res.Status)

	spans := exporter.GetSpans()
	signals := spansNamed(spans, workflowID, "HandleSignal:"+signing.SignalEvent)
	require.Len(t, signals, 3, "one span per event signal")
	run := spansNamed(spans, workflowID, "RunWorkflow:"+signing.WorkflowType)
	require.Len(t, run, 1)

	fetch := spansNamed(spans, workflowID, "StartActivity:FetchDocuments")
	require.Len(t, fetch, 1)
	completion := signals[2]
	require.Equal(t, completion.SpanContext.TraceID(), fetch[0].SpanContext.TraceID(), "the fetch is in the completion's trace")
	require.Equal(t, completion.SpanContext.SpanID(), fetch[0].Parent.SpanID(), "the fetch's parent is the completion's signal")

	// What no event caused stays under the run.
	send := spansNamed(spans, workflowID, "StartActivity:Send")
	require.Len(t, send, 1)
	require.Equal(t, run[0].SpanContext.SpanID(), send[0].Parent.SpanID())
}

// Events a route held are handed over in the trace of the first one, so
// the owner's signals, and what they cause, stay in the webhook's trace.
func TestRouteHandOverIsTracedUnderTheHeldEvent(t *testing.T) {
	opts, exporter := tracedWorker(t)
	env := routeEnv(t)
	env.SetWorkerOptions(opts)
	const workflowID = "traced-route"
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: workflowID})
	env.OnActivity(acts.HandOver, mock.Anything, mock.Anything).Return(activities.HandOverResult{}, nil).Once()
	env.OnActivity(acts.DescribeOwner, mock.Anything, mock.Anything).Return(activities.OwnerStatus{Running: true}, nil).Maybe()
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(signing.SignalEvent, completedEvent("e1"))
	}, time.Second)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(routing.SignalRegisterOwner, routing.OwnerRegistration{WorkflowID: "signing-p"})
	}, time.Minute)
	env.RegisterDelayedCallback(env.CancelWorkflow, time.Hour)
	env.ExecuteWorkflow(ProcessRoute, routing.RouteInput{Provider: "arqsign", ProviderRef: ref, ClaimWindow: signing.Duration(time.Hour)})
	env.AssertExpectations(t)

	spans := exporter.GetSpans()
	held := spansNamed(spans, workflowID, "HandleSignal:"+signing.SignalEvent)
	require.Len(t, held, 1)
	handOver := spansNamed(spans, workflowID, "StartActivity:HandOver")
	require.Len(t, handOver, 1)
	require.Equal(t, held[0].SpanContext.TraceID(), handOver[0].SpanContext.TraceID())
	require.Equal(t, held[0].SpanContext.SpanID(), handOver[0].Parent.SpanID())
}

// An inbox forwards its batch in the trace of the first event it held.
func TestInboxForwardIsTracedUnderTheHeldEvent(t *testing.T) {
	opts, exporter := tracedWorker(t)
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(EventInbox)
	env.RegisterActivity(acts)
	env.SetWorkerOptions(opts)
	const workflowID = "traced-inbox"
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: workflowID})
	ownerAt := env.Now().Add(time.Minute)
	env.OnActivity(acts.FindOwner, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.OwnerQuery) (activities.Owner, error) {
			if env.Now().Before(ownerAt) {
				return activities.Owner{}, nil
			}
			return activities.Owner{WorkflowID: "signing-p", Running: true}, nil
		})
	env.OnActivity(acts.ForwardEvents, mock.Anything, mock.Anything).Return(nil).Once()
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(signing.SignalEvent, signing.Event{Key: "e1"}) }, time.Second)
	env.ExecuteWorkflow(EventInbox, InboxInput{Provider: "arqsign", ProviderRef: "R", ClaimWindow: signing.Duration(time.Hour)})
	require.NoError(t, env.GetWorkflowError())
	env.AssertExpectations(t)

	spans := exporter.GetSpans()
	held := spansNamed(spans, workflowID, "HandleSignal:"+signing.SignalEvent)
	require.Len(t, held, 1)
	forward := spansNamed(spans, workflowID, "StartActivity:ForwardEvents")
	require.Len(t, forward, 1)
	require.Equal(t, held[0].SpanContext.TraceID(), forward[0].SpanContext.TraceID())
	require.Equal(t, held[0].SpanContext.SpanID(), forward[0].Parent.SpanID())
}
