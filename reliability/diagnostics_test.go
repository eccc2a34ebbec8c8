package reliability

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/firmaflow/firmaflow/internal/devstack"
	"github.com/firmaflow/firmaflow/signing"
	"github.com/firmaflow/firmaflow/starter/processes"
)

// What a failed fault test leaves behind to be diagnosed.

// keepLogs copies the worker logs out of the test's temporary directory,
// which is removed, so a failure can be diagnosed.
func keepLogs(state string) {
	dir, err := os.MkdirTemp("", "firmaflow-fault-logs-")
	if err != nil {
		return
	}
	logs, _ := filepath.Glob(filepath.Join(state, "worker-*.log"))
	for _, l := range logs {
		if b, err := os.ReadFile(l); err == nil {
			os.WriteFile(filepath.Join(dir, filepath.Base(l)), b, 0o644)
		}
	}
	fmt.Printf("worker logs kept in %s\n", dir)
}

// pollersSeen lists the workflow-task pollers Temporal last saw on the
// task queue, and when.
func pollersSeen(stack *devstack.Stack) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d, err := stack.Client.DescribeTaskQueue(ctx, stack.Config.Temporal.TaskQueue, enumspb.TASK_QUEUE_TYPE_WORKFLOW)
	if err != nil {
		return fmt.Sprintf("describe task queue: %v", err)
	}
	seen := []string{}
	for _, p := range d.GetPollers() {
		seen = append(seen, fmt.Sprintf("%s %s ago", p.GetIdentity(), time.Since(p.GetLastAccessTime().AsTime()).Round(time.Second)))
	}
	return "workflow-task pollers seen: [" + strings.Join(seen, ", ") + "]"
}

// queryState reads an ended process's state as an operator would, asking
// up to attempts times: Temporal hands a query of an ended run to a worker,
// which replays the run to answer, and on a machine whose cores are both
// busy one answer took longer than the SDK's 10 s (CI on 0903b2e, with the
// worker polling). Each failed attempt is printed, so slow answers stay seen.
func queryState(stack *devstack.Stack, processID string, attempts int) (signing.State, error) {
	var err error
	for attempt := 1; attempt <= attempts; attempt++ {
		var st signing.State
		if st, err = processes.State(context.Background(), stack.Client, processID); err == nil {
			return st, nil
		}
		fmt.Printf("fault test: query %d of %s failed: %v\n", attempt, processID, err)
	}
	return signing.State{}, err
}
