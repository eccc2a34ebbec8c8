package reliability

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/firmaflow/firmaflow/config"
	"github.com/firmaflow/firmaflow/internal/cluster"
	"github.com/firmaflow/firmaflow/simulators/arqsignsim"
	"github.com/firmaflow/firmaflow/simulators/simkit"
)

// TestClusterFaultInjection runs the fault scenario on the scale-out
// profile (internal/cluster: the real Temporal server on PostgreSQL, two
// worker and two bridge processes behind a front): duplicated and
// reordered webhooks and 10% API failures as in TestFaultInjection, while
// one worker and one bridge are killed mid-run (SIGKILL) and PostgreSQL
// crashes and restarts once. The same driver, checks and oracle hold every
// process to the simulators' ledgers. 39 processes (each of the 13 cases
// three times) by default: FIRMAFLOW_CLUSTER_FAULT_PROCESSES changes that.
func TestClusterFaultInjection(t *testing.T) {
	if testing.Short() {
		t.Skip("the cluster fault test takes a few minutes")
	}
	total := env("FIRMAFLOW_CLUSTER_FAULT_PROCESSES", 3*len(cases))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))

	// Not t.TempDir: PostgreSQL runs as its own user when we are root, and
	// must pass through the directory's parents.
	state, err := os.MkdirTemp("", "firmaflow-cluster-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(state) })
	workerBin, bridgeBin, err := cluster.BuildBinaries(ctx, t.TempDir())
	require.NoError(t, err)
	ports, err := cluster.FreePorts(21400, 22000)
	require.NoError(t, err)
	cfg, err := config.LoadFrom(ctx, mapLookuper{"FIRMAFLOW_DOCSTORE_URL": filepath.Join(state, "documents")})
	require.NoError(t, err)
	began := time.Now()
	c, err := cluster.Start(ctx, cluster.Options{
		Ports: ports, StateDir: state, WorkerBin: workerBin, BridgeBin: bridgeBin, Config: cfg, Logger: log,
		DefaultScenario: arqsignsim.ScenarioSign, SimStepDelay: 5 * time.Millisecond,
		SimFaults: simkit.Faults{APIFailRate: 0.10, Copies: 3, Jitter: 40 * time.Millisecond, Seed: 7},
	})
	if err != nil {
		keepLogs(filepath.Join(state, "logs"))
	}
	require.NoError(t, err)
	defer c.Close()
	t.Logf("cluster up in %s", time.Since(began).Round(time.Second))
	stack := c.Stack

	// Each process gets boundedWait to end, so one the code strands fails
	// the test with the oracle's report instead of hanging it.
	runCtx, stopRuns := context.WithTimeout(ctx, boundedWait)
	defer stopRuns()
	runs := make([]*run, 0, total)
	var wg sync.WaitGroup
	started := time.Now()
	var servedBeforeKill [2]int64
	for i := range total {
		r := &run{k: cases[i%len(cases)]}
		r.in = input(t, stack, r.k, i)
		runs = append(runs, r)
		wg.Add(1)
		go func() {
			defer wg.Done()
			began := time.Now()
			r.res, r.err = drive(runCtx, stack, r)
			r.took = time.Since(began)
		}()
		switch i {
		case total / 4:
			// A worker dies without warning and comes back; the other
			// takes its tasks meanwhile.
			c.KillWorker(0)
			time.Sleep(500 * time.Millisecond)
			require.NoError(t, c.StartWorker(0))
		case total / 2:
			// A bridge dies mid-run, requests in flight; the front hands
			// the redeliveries to the other one.
			servedBeforeKill = [2]int64{c.BridgeServed(0), c.BridgeServed(1)}
			c.KillBridge(1)
		case 2 * total / 3:
			// PostgreSQL crashes (immediate shutdown) and recovers.
			require.NoError(t, c.RestartPostgres(ctx))
		case 3 * total / 4:
			require.NoError(t, c.StartBridge(ctx, 1))
		}
		// Spread the starts, so the faults land on processes in flight.
		time.Sleep(150 * time.Millisecond)
	}
	wg.Wait()
	elapsed := time.Since(started)

	// Let redeliveries still in flight settle before counting.
	time.Sleep(2 * time.Second)
	report := check(stack, runs, elapsed)
	for i, n := range servedBeforeKill {
		if n == 0 {
			report.failures = append(report.failures, fmt.Sprintf("bridge %d answered no webhook before the kill: both must deliver", i+1))
		}
	}
	verdict := judge(ctx, stack, runs)
	failed := len(report.failures) > 0 || !verdict.OK()
	if failed {
		keepLogs(filepath.Join(state, "logs"))
	}
	fmt.Printf("cluster: bridges answered %d and %d requests before the kill\n", servedBeforeKill[0], servedBeforeKill[1])
	fmt.Print(report.String() + summary(verdict))
	fmt.Print(verdict.Lines())
	if failed {
		t.Fail()
	}
}
