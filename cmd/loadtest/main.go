// Command loadtest measures firmaflow against a raw-Temporal baseline run in
// the same process on the same server (see internal/loadtest):
//
//	go run ./cmd/loadtest -scenario ingest -processes 50 -events 2000 -concurrency 8
//	go run ./cmd/loadtest -scenario lifecycle -processes 50 -concurrency 8
//	go run ./cmd/loadtest -scenario open -processes 1000 -concurrency 16
//
// Without -temporal it starts an embedded dev server, worker, bridge and
// simulators, so it runs from a clean checkout. With -temporal (and, for
// ingest, -bridge) it loads a running deployment, configured from the same
// environment variables as its worker (webhook secrets, document store).
// It prints a table and ends with one line per run.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"runtime/trace"
	"strings"
	"syscall"
	"time"

	"github.com/firmaflow/firmaflow/internal/loadtest"
	"github.com/firmaflow/firmaflow/internal/modules"
	"github.com/firmaflow/firmaflow/providers/autosign"
)

func main() {
	scenario := flag.String("scenario", "ingest", "ingest (webhooks through the bridge vs raw signals), lifecycle (whole processes vs a bare workflow) or open (processes left waiting for signatures; memory)")
	processes := flag.Int("processes", 50, "processes to open (ingest, open) or to run each way in each round (lifecycle)")
	events := flag.Int("events", 2000, "ingest: webhooks through the bridge, and as many raw signals, in each round")
	rounds := flag.Int("rounds", loadtest.DefaultRounds, "rounds of both phases, their order alternating (ABBA); the result line takes the median round's ratio")
	concurrency := flag.Int("concurrency", 8, "requests (ingest) or processes (lifecycle) in flight")
	provider := flag.String("provider", autosign.Name, "provider whose webhooks are written (ingest: autosign or arqsign; lifecycle: autosign)")
	temporalAddr := flag.String("temporal", "", "Temporal frontend of a running deployment; empty starts an embedded stack")
	bridgeURL := flag.String("bridge", "", "with -temporal: the deployment's webhook bridge, e.g. http://bridge:8080")
	firstPort := flag.Int("ports", 0, "embedded: first of 7 consecutive ports on 127.0.0.1 (Temporal, bridge, 4 simulators, bare router); 0 picks free ports")
	bareListen := flag.String("bare-listen", "127.0.0.1:0", "lifecycle with -temporal: where the bare workflow's webhook router listens")
	bareURL := flag.String("bare-url", "", "lifecycle with -temporal: the bare router's URL as the provider reaches it (default http://<bare-listen>)")
	timeout := flag.Duration("timeout", 30*time.Minute, "give up after this long")
	workerBin := flag.String("worker-bin", "", "embedded: run the worker as this binary (go build -o bin/worker ./worker), so that open reads its memory apart")
	cacheSize := flag.Int("workflow-cache-size", 0, "embedded: the worker's FIRMAFLOW_WORKFLOW_CACHE_SIZE (0: its default)")
	workerMetrics := flag.String("worker-metrics", "", "open with -temporal: the worker's Prometheus page, e.g. http://worker:9464/metrics")
	bridgeMetrics := flag.String("bridge-metrics", "", "open with -temporal: the bridge's Prometheus page (default <-bridge>/metrics when -bridge is set)")
	settle := flag.Duration("settle", 10*time.Second, "open: wait this long after the last process opened before reading memory")
	cpuProfile := flag.String("cpuprofile", "", "write this process's CPU profile (load tool, and embedded: bridge, simulators, worker unless -worker-bin) to this file")
	execTrace := flag.String("trace", "", "write this process's execution trace (go tool trace) to this file; large, use few events")
	flag.Parse()
	if *rounds < 1 {
		fmt.Fprintln(os.Stderr, "loadtest: -rounds must be at least 1")
		os.Exit(2)
	}
	if *scenario != "ingest" && *scenario != "lifecycle" && *scenario != "open" {
		fmt.Fprintf(os.Stderr, "loadtest: unknown -scenario %q (ingest, lifecycle or open)\n", *scenario)
		os.Exit(2)
	}
	if *temporalAddr != "" && *bridgeURL == "" && *scenario == "ingest" {
		fmt.Fprintln(os.Stderr, "loadtest: -temporal needs -bridge for the ingest scenario")
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	for _, rec := range []struct {
		what, path string
		start      func(io.Writer) error
		stop       func()
	}{
		{"cpu profile", *cpuProfile, pprof.StartCPUProfile, pprof.StopCPUProfile},
		{"execution trace", *execTrace, trace.Start, trace.Stop},
	} {
		if rec.path == "" {
			continue
		}
		stopRecording, err := record(rec.path, rec.start, rec.stop)
		if err != nil {
			log.Error("loadtest: "+rec.what, "error", err)
			os.Exit(1)
		}
		defer stopRecording()
	}

	embedded := loadtest.EmbeddedOptions{FirstPort: *firstPort, Logger: log, WorkerBinary: *workerBin}
	if *cacheSize > 0 {
		embedded.WorkflowCacheSize = *cacheSize
		embedded.WorkerEnv = []string{fmt.Sprintf("FIRMAFLOW_WORKFLOW_CACHE_SIZE=%d", *cacheSize)}
	}
	env, err := environment(ctx, *temporalAddr, *bridgeURL, embedded, log)
	if err != nil {
		log.Error("loadtest: environment", "error", err)
		os.Exit(1)
	}
	defer env.Close()
	if *temporalAddr != "" {
		env.BareListen, env.BarePublicURL = *bareListen, *bareURL
		if *workerMetrics != "" {
			env.AddMetricsPage("worker", *workerMetrics)
		}
		if *bridgeMetrics == "" && *bridgeURL != "" {
			*bridgeMetrics = strings.TrimRight(*bridgeURL, "/") + "/metrics"
		}
		if *bridgeMetrics != "" {
			env.AddMetricsPage("bridge", *bridgeMetrics)
		}
	}

	switch *scenario {
	case "ingest":
		res, err := loadtest.Ingest(ctx, env, loadtest.IngestOptions{Provider: *provider, Processes: *processes, Events: *events, Concurrency: *concurrency, Rounds: *rounds})
		if err != nil {
			log.Error("loadtest: ingest", "error", err)
			exit(env, 1)
		}
		loadtest.PrintIngest(os.Stdout, res)
		if sent := *events * len(res.Rounds); res.Bridge.Delivered != sent || res.Raw.Delivered != sent {
			log.Error("loadtest: events missing from the workflows' histories",
				"bridge_delivered", res.Bridge.Delivered, "raw_delivered", res.Raw.Delivered, "sent", sent)
			exit(env, 1)
		}
	case "lifecycle":
		res, err := loadtest.Lifecycle(ctx, env, loadtest.LifecycleOptions{Provider: *provider, Processes: *processes, Concurrency: *concurrency, Rounds: *rounds})
		if err != nil {
			log.Error("loadtest: lifecycle", "error", err)
			exit(env, 1)
		}
		loadtest.PrintLifecycle(os.Stdout, res)
	case "open":
		res, err := loadtest.Open(ctx, env, loadtest.OpenOptions{Provider: *provider, Processes: *processes, Concurrency: *concurrency, Settle: *settle})
		if res.Count > 0 {
			loadtest.PrintOpen(os.Stdout, res) // what was measured, failures counted
		}
		if err != nil {
			log.Error("loadtest: open", "error", err)
			exit(env, 1)
		}
	}
}

// environment starts the embedded stack, or connects to the deployment at
// temporalAddr configured from the environment.
func environment(ctx context.Context, temporalAddr, bridgeURL string, embedded loadtest.EmbeddedOptions, log *slog.Logger) (*loadtest.Env, error) {
	if temporalAddr == "" {
		fmt.Fprintln(os.Stderr, "loadtest: starting the embedded dev server, worker, bridge and simulators")
		return loadtest.StartEmbedded(ctx, embedded)
	}
	cfg, err := modules.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	cfg.Temporal.Address = temporalAddr
	return loadtest.Connect(ctx, cfg, bridgeURL, log)
}

// record starts writing this process's CPU profile or execution trace
// (start) into path; the returned function stops it (stop) and closes the
// file.
func record(path string, start func(io.Writer) error, stop func()) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := start(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		stop()
		f.Close()
	}, nil
}

// exit stops the embedded stack (its dev server is a child process) before
// exiting with code.
func exit(env *loadtest.Env, code int) {
	env.Close()
	os.Exit(code)
}
