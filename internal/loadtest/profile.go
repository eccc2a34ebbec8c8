package loadtest

import (
	"context"
	"errors"
	"fmt"
	"sort"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
)

// HistoryProfile is what a process cost Temporal, read from histories:
// the mean number of history events per process by event type (e.g.
// "ActivityTaskScheduled", "WorkflowTaskCompleted"), over every workflow
// run the process needed (its own runs, and its route's).
type HistoryProfile struct {
	Processes int
	PerType   map[string]float64
}

// Total is the mean number of history events per process.
func (p HistoryProfile) Total() float64 {
	var n float64
	for _, v := range p.PerType {
		n += v
	}
	return n
}

// profileSample is how many processes each way the lifecycle scenario
// reads histories of: enough for a mean, few enough to be read quickly.
const profileSample = 20

// historyProfile reads the histories of each process's workflows (every
// run of each, following continue-as-new back) and averages the event
// counts over the processes.
func historyProfile(ctx context.Context, c client.Client, processes [][]string) (HistoryProfile, error) {
	p := HistoryProfile{Processes: len(processes), PerType: map[string]float64{}}
	for _, ids := range processes {
		for _, id := range ids {
			if err := countEvents(ctx, c, id, p.PerType); err != nil {
				return p, err
			}
		}
	}
	if len(processes) > 0 {
		for t := range p.PerType {
			p.PerType[t] /= float64(len(processes))
		}
	}
	return p, nil
}

// countEvents adds the events of every run of workflowID to counts.
func countEvents(ctx context.Context, c client.Client, workflowID string, counts map[string]float64) error {
	runID := ""
	for {
		previous := ""
		iter := c.GetWorkflowHistory(ctx, workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for iter.HasNext() {
			ev, err := iter.Next()
			var notFound *serviceerror.NotFound
			if errors.As(err, &notFound) && runID == "" {
				return nil // a workflow the process did not need (no route)
			}
			if err != nil {
				return fmt.Errorf("loadtest: history of %s: %w", workflowID, err)
			}
			if a := ev.GetWorkflowExecutionStartedEventAttributes(); a != nil {
				previous = a.GetContinuedExecutionRunId()
			}
			counts[ev.GetEventType().String()]++
		}
		if previous == "" {
			return nil
		}
		runID = previous
	}
}

// profileRows are the event types of either profile, most frequent (in a)
// first, then by name.
func profileRows(a, b HistoryProfile) []string {
	seen := map[string]bool{}
	var types []string
	for _, p := range []HistoryProfile{a, b} {
		for t := range p.PerType {
			if !seen[t] {
				seen[t] = true
				types = append(types, t)
			}
		}
	}
	sort.Slice(types, func(i, j int) bool {
		if a.PerType[types[i]] != a.PerType[types[j]] {
			return a.PerType[types[i]] > a.PerType[types[j]]
		}
		return types[i] < types[j]
	})
	return types
}
