package e2e

import (
	"context"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/firmaflow/firmaflow/internal/app"
	"github.com/firmaflow/firmaflow/simulators/arqsignsim"
)

// baseline is the least a signal-driven process costs on this server: start,
// one signal, complete, with a worker on the same dev server.
func baseline(ctx workflow.Context) error {
	workflow.GetSignalChannel(ctx, "done").Receive(ctx, nil)
	return nil
}

// BenchmarkBaselineSignalRoundTrip: raw SDK start + signal + result.
// Compare BenchmarkSigningProcess to it (the dev server's SQLite is
// single-connection, so only the ratio means anything).
func BenchmarkBaselineSignalRoundTrip(b *testing.B) {
	w := worker.New(stack.Client, "bench-baseline", app.WorkerOptions(stack.Config.Worker)) // polled as firmaflow polls
	w.RegisterWorkflow(baseline)
	if err := w.Start(); err != nil {
		b.Fatal(err)
	}
	defer w.Stop()
	ctx := context.Background()
	for b.Loop() {
		run, err := stack.Client.SignalWithStartWorkflow(ctx, "baseline-"+time.Now().Format("150405.000000000"), "done", nil,
			client.StartWorkflowOptions{TaskQueue: "bench-baseline"}, baseline)
		if err != nil {
			b.Fatal(err)
		}
		if err := run.Get(ctx, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSigningProcess: one complete ArqSIGN process (send, 4 webhooks
// through the bridge, 2 document downloads into the store), with the
// simulator pausing 1 ms between steps.
func BenchmarkSigningProcess(b *testing.B) {
	refused := 0
	for b.Loop() {
		_, wait := startProcess(b, arqsignsim.ScenarioSign, fastPolicy)
		res := wait()
		if res.Status != "completed" {
			b.Fatalf("status %s", res.Status)
		}
		refused += simProcess(b, res.ProviderRef).Counts.WebhooksRefused
	}
	// Webhooks the bridge answered 503 because the owner was not yet
	// findable (the provider redelivers them after a backoff).
	b.ReportMetric(float64(refused)/float64(b.N), "refused-webhooks/op")
}
