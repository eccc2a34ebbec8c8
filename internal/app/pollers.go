package app

import (
	"go.temporal.io/sdk/worker"

	"github.com/firmaflow/firmaflow/config"
)

// WorkerOptions are the options of every worker firmaflow runs (and of the
// load tool's bare worker, so the two compare like for like).
//
// Workflow tasks are polled by separate pollers for the task queue and the
// worker's sticky queue (the SDK's autoscaling behaviour), never by the
// SDK's default shared pair. The shared pair sends every poll to the sticky
// queue while the last sticky task's backlog hint is above zero, until a
// sticky poll comes back empty a minute later: a minute with no poll on the
// task queue after a busy spell. Queries to ended processes, new processes
// and tasks moved off a lost worker all travel the task queue, and Temporal
// refused the queries with "no poller seen for task queue recently" after
// 20 s of it (the fault test failed so in CI). Each queue gets at most
// cfg.WorkflowTaskPollers polls: the SDK's autoscaling defaults (5 to
// start, up to 100) cut ingest throughput to a third on the dev machine,
// most likely because signals that arrived together no longer shared a
// workflow task.
func WorkerOptions(cfg config.Worker) worker.Options {
	n := max(cfg.WorkflowTaskPollers, 1)
	return worker.Options{
		WorkflowTaskPollerBehavior: worker.NewPollerBehaviorAutoscaling(worker.PollerBehaviorAutoscalingOptions{
			InitialNumberOfPollers: n, MinimumNumberOfPollers: 1, MaximumNumberOfPollers: n,
		}),
	}
}
