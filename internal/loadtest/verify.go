package loadtest

import (
	"context"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/firmaflow/firmaflow/signing"
)

// signalledKeys reads the key of every provider event signalled to a
// workflow, from its history: what Temporal holds, not what an HTTP answer
// claimed. It follows the chain of continued runs back to the first, since
// a long process continues as new and each run holds its own signals.
func signalledKeys(ctx context.Context, c client.Client, workflowID string) (map[string]bool, error) {
	keys := map[string]bool{}
	dc := converter.GetDefaultDataConverter()
	runID := ""
	for {
		previous := ""
		iter := c.GetWorkflowHistory(ctx, workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for iter.HasNext() {
			ev, err := iter.Next()
			if err != nil {
				return nil, fmt.Errorf("loadtest: history of %s: %w", workflowID, err)
			}
			if a := ev.GetWorkflowExecutionStartedEventAttributes(); a != nil {
				previous = a.GetContinuedExecutionRunId()
			}
			a := ev.GetWorkflowExecutionSignaledEventAttributes()
			if a == nil || a.GetSignalName() != signing.SignalEvent {
				continue
			}
			var e signing.Event
			if err := dc.FromPayloads(a.GetInput(), &e); err != nil {
				return nil, fmt.Errorf("loadtest: decode signal to %s: %w", workflowID, err)
			}
			keys[e.Key] = true
		}
		if previous == "" {
			return keys, nil
		}
		runID = previous
	}
}

// settleTime bounds how long a history may lag the calls that were
// answered: a signal that arrives while a workflow task runs is buffered by
// the server and written to history only when that task completes.
const settleTime = 30 * time.Second

// countDelivered is how many of each list of keys (by workflow id) the
// workflows' histories hold, waiting up to settleTime for missing ones.
func countDelivered(ctx context.Context, c client.Client, concurrency int, workflowIDs []string, want ...map[string][]string) ([]int, error) {
	found := make([][]int, len(workflowIDs))
	deadline := time.Now().Add(settleTime)
	t := runConcurrently(ctx, len(workflowIDs), concurrency, func(ctx context.Context, i int) error {
		for {
			have, err := signalledKeys(ctx, c, workflowIDs[i])
			if err != nil {
				return err
			}
			found[i] = make([]int, len(want))
			complete := true
			for j, w := range want {
				for _, k := range w[workflowIDs[i]] {
					if have[k] {
						found[i][j]++
					} else {
						complete = false
					}
				}
			}
			if complete || time.Now().After(deadline) {
				return nil
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(200 * time.Millisecond):
			}
		}
	})
	if err := t.firstError(); err != nil {
		return nil, err
	}
	totals := make([]int, len(want))
	for _, f := range found {
		for j, n := range f {
			totals[j] += n
		}
	}
	return totals, nil
}
