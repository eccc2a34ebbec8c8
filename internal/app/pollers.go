package app

import "go.temporal.io/sdk/worker"

// WorkerOptions are the options of every worker firmaflow runs (and of the
// load tool's bare worker, so the two compare like for like).
//
// Workflow tasks are polled with autoscaling pollers rather than the SDK's
// default fixed pair. The fixed pair shares its polls between the normal
// queue and the worker's sticky queue, and while the last sticky task said a
// backlog was queued behind it, every poll goes to the sticky queue until
// one comes back empty: a minute with no poll on the normal queue after a
// busy spell. Queries to ended processes, new processes and tasks moved off
// a lost worker all travel the normal queue, and Temporal refuses queries
// with "no poller seen for task queue recently" after 20 s of this (the
// fault test failed so in CI). Autoscaling keeps a normal poll open at all
// times, and sizes both kinds to the load.
func WorkerOptions() worker.Options {
	return worker.Options{
		WorkflowTaskPollerBehavior: worker.NewPollerBehaviorAutoscaling(worker.PollerBehaviorAutoscalingOptions{}),
	}
}
