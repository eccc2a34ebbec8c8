package workflows

import (
	"slices"
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/firmaflow/firmaflow/signing"
)

// firmaflow's own series, recorded through the workflow's metrics handler:
// it records nothing while a history replays, so each is counted once
// however often a run is replayed. Labels stay bounded: provider, status,
// event type and outcome, never a process id or reference.
const (
	MetricProcessesStarted = "firmaflow_processes_started"
	MetricProcessesEnded   = "firmaflow_processes_ended"
	MetricEvents           = "firmaflow_events"
)

// Event outcomes: the first word of the effect a process records, or held
// by a route until its process is known.
const (
	OutcomeApplied   = "applied"
	OutcomeDuplicate = "duplicate"
	OutcomeIgnored   = "ignored"
	OutcomeHeld      = "held"
)

var knownEventTypes = []signing.EventType{
	signing.EventCreated, signing.EventStarted, signing.EventSignerSigned, signing.EventDeliveryFailed,
	signing.EventRejected, signing.EventCancelled, signing.EventExpired, signing.EventResent,
	signing.EventSealing, signing.EventAwaitingTokens, signing.EventCompleted,
}

// eventTypeLabel keeps a type a provider made up from becoming a series.
func eventTypeLabel(t signing.EventType) string {
	if slices.Contains(knownEventTypes, t) {
		return string(t)
	}
	return "other"
}

// outcomeOf reduces an effect ("applied: resend in 1h") to its outcome.
func outcomeOf(effect string) string {
	outcome, _, _ := strings.Cut(effect, ":")
	switch outcome {
	case OutcomeApplied, OutcomeDuplicate, OutcomeIgnored:
		return outcome
	}
	return "other"
}

func countProcessStarted(ctx workflow.Context, provider string) {
	workflow.GetMetricsHandler(ctx).WithTags(map[string]string{"provider": provider}).
		Counter(MetricProcessesStarted).Inc(1)
}

func countProcessEnded(ctx workflow.Context, provider string, status signing.Status) {
	workflow.GetMetricsHandler(ctx).WithTags(map[string]string{"provider": provider, "status": string(status)}).
		Counter(MetricProcessesEnded).Inc(1)
}

func countEvent(ctx workflow.Context, provider string, t signing.EventType, outcome string) {
	workflow.GetMetricsHandler(ctx).WithTags(map[string]string{
		"provider": provider, "type": eventTypeLabel(t), "outcome": outcome,
	}).Counter(MetricEvents).Inc(1)
}
