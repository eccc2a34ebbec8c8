package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/testsuite"

	"github.com/firmaflow/firmaflow/activities"
	"github.com/firmaflow/firmaflow/routing"
	"github.com/firmaflow/firmaflow/signing"
)

// metered is a test suite whose workflows' metrics a reader collects.
func metered(t *testing.T) (*testsuite.TestWorkflowEnvironment, *sdkmetric.ManualReader) {
	t.Helper()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	var s testsuite.WorkflowTestSuite
	s.SetMetricsHandler(opentelemetry.NewMetricsHandler(opentelemetry.MetricsHandlerOptions{
		Meter: mp.Meter("test"), UseMonotonicCounters: true,
	}))
	return s.NewTestWorkflowEnvironment(), reader
}

// counted is the value of the counter name's series whose labels include want.
func counted(t *testing.T, reader *sdkmetric.ManualReader, name string, want map[string]string) int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	var total int64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			sum, ok := m.Data.(metricdata.Sum[int64])
			if m.Name != name || !ok {
				continue
			}
		points:
			for _, dp := range sum.DataPoints {
				for k, v := range want {
					if got, ok := dp.Attributes.Value(attribute.Key(k)); !ok || got.AsString() != v {
						continue points
					}
				}
				total += dp.Value
			}
		}
	}
	return total
}

// A process counts its start, its end by status, and each event by type
// and outcome, labelled by provider.
func TestProcessMetrics(t *testing.T) {
	env, reader := metered(t)
	h := harnessOn(t, env)
	env.OnActivity(acts.Send, mock.Anything, mock.Anything).Return(activities.SendOutput{ProviderRef: ref}, nil).Once()
	h.expectFetch(1)
	h.at(time.Hour, ev("e1", signing.EventSignerSigned, "ana@example.com"))
	h.at(time.Hour+time.Minute, ev("e1", signing.EventSignerSigned, "ana@example.com"))
	h.at(time.Hour+2*time.Minute, ev("e-odd", signing.EventType("made_up"), ""))
	h.at(2*time.Hour, ev("e2", signing.EventSignerSigned, "bruno@example.com"))
	h.at(3*time.Hour, completedEvent("e3"))
	res, err := h.run(testInput())
	require.NoError(t, err)
	require.Equal(t, signing.StatusCompleted, res.Status)

	arq := map[string]string{"provider": "arqsign"}
	require.EqualValues(t, 1, counted(t, reader, MetricProcessesStarted, arq))
	require.EqualValues(t, 1, counted(t, reader, MetricProcessesEnded, map[string]string{"provider": "arqsign", "status": "completed"}))
	for _, c := range []struct {
		typ, outcome string
		n            int64
	}{
		{"signer_signed", OutcomeApplied, 2},
		{"signer_signed", OutcomeDuplicate, 1},
		{"other", OutcomeIgnored, 1},
		{"completed", OutcomeApplied, 1},
	} {
		require.Equal(t, c.n, counted(t, reader, MetricEvents, map[string]string{"provider": "arqsign", "type": c.typ, "outcome": c.outcome}), "%s %s", c.typ, c.outcome)
	}
}

// Events a route receives before its process is known count as held.
func TestRouteCountsHeldEvents(t *testing.T) {
	env, reader := metered(t)
	env.RegisterWorkflow(ProcessRoute)
	env.RegisterActivity(acts)
	env.OnActivity(acts.HandOver, mock.Anything, mock.Anything).Return(activities.HandOverResult{}, nil)
	env.OnActivity(acts.DescribeOwner, mock.Anything, mock.Anything).Return(activities.OwnerStatus{Running: true}, nil)
	env.RegisterDelayedCallback(func() {
		for _, e := range heldEvents() {
			env.SignalWorkflow(signing.SignalEvent, e)
		}
	}, time.Second)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(routing.SignalRegisterOwner, routing.OwnerRegistration{WorkflowID: "signing-p"})
	}, time.Hour)
	env.RegisterDelayedCallback(env.CancelWorkflow, 2*time.Hour)
	env.ExecuteWorkflow(ProcessRoute, routing.RouteInput{Provider: "arqsign", ProviderRef: ref, ClaimWindow: signing.Duration(time.Hour)})
	require.EqualValues(t, len(heldEvents()), counted(t, reader, MetricEvents, map[string]string{"provider": "arqsign", "outcome": OutcomeHeld}))
}
