// Command cluster runs firmaflow's scale-out profile on this machine, with
// no Docker: its own PostgreSQL, the real Temporal server built from the
// pinned tools module (SQL persistence and visibility on PostgreSQL), two
// workers and two webhook bridges, and the provider simulators. Ctrl-C
// stops everything. See internal/cluster and the README.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/firmaflow/firmaflow/internal/cluster"
	"github.com/firmaflow/firmaflow/internal/modules"
)

func main() {
	state := flag.String("state", ".cluster", "directory for the profile's state: PostgreSQL's data, logs, documents, the simulators' processes")
	base := flag.Int("port-base", 21000, "first of the 40 ports the profile uses (PostgreSQL on it, the Temporal frontend on the next); at most 32727")
	scenario := flag.String("scenario", "sign", "default simulator scenario for processes whose title names none")
	step := flag.Duration("step", 500*time.Millisecond, "pause between simulated provider steps")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := modules.Load(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	log := cfg.Log.Logger()
	if err := os.MkdirAll(*state, 0o755); err != nil {
		log.Error("state directory", "error", err)
		os.Exit(1)
	}
	began := time.Now()
	c, err := cluster.Start(ctx, cluster.Options{
		Ports: cluster.Ports{Base: *base}, StateDir: *state, Config: cfg,
		DefaultScenario: *scenario, SimStepDelay: *step, Logger: log,
	})
	if err != nil {
		log.Error("the scale-out profile failed to start", "error", err, "logs", *state+"/logs")
		os.Exit(1)
	}
	defer c.Close()
	if err := writeEnv(filepath.Join(*state, "worker.env"), c.Stack.WorkerEnv()); err != nil {
		log.Warn("worker.env", "error", err)
	}
	p := c.Ports
	fmt.Printf(`
firmaflow scale-out profile is up (in %s)
  PostgreSQL         127.0.0.1:%d  (databases temporal, temporal_visibility)
  Temporal frontend  %s  (namespace %s, task queue %s; server metrics http://%s/metrics)
  Workers            2 processes  (metrics http://%s/metrics, http://%s/metrics)
  Bridges            http://%s, http://%s  (each serves /metrics)
  Webhook front      %s  (hands each request to a bridge; API token %s)
  Documents          %s
  Simulators         %s
  Logs               %s/logs
  Workers' settings  %s/worker.env

Load it:
  go run ./cmd/loadtest -temporal %s -bridge %s

Ctrl-C stops everything.
`, time.Since(began).Round(time.Second), p.Postgres(), p.Frontend(), c.Stack.Config.Temporal.Namespace, c.Stack.Config.Temporal.TaskQueue,
		p.ServerMetrics(), p.WorkerMetrics(0), p.WorkerMetrics(1), p.Bridge(0), p.Bridge(1), c.BridgeURL(),
		c.Stack.Config.Bridge.APIToken, c.Stack.Store.URL(), simList(c.Stack.SimURLs), *state, *state, p.Frontend(), c.BridgeURL())
	<-ctx.Done()
	slog.Info("stopping the scale-out profile")
}

// writeEnv writes the workers' environment as a shell file, for the load
// tool (the simulators' published secrets only).
func writeEnv(path string, env []string) error {
	var b strings.Builder
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		fmt.Fprintf(&b, "%s='%s'\n", k, strings.ReplaceAll(v, "'", `'\''`))
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

func simList(urls map[string]string) string {
	names := make([]string, 0, len(urls))
	for n := range urls {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "\n    %-14s %s", n, urls[n])
	}
	return b.String()
}
