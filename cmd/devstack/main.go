// Command devstack brings up firmaflow on the embedded default: the Temporal
// dev server (SQLite state in .devstack/, UI on :8233) built from the pinned
// tools module, a worker, the webhook bridge (:8080) and every provider's
// simulator (:8091 on, see -help). Ctrl-C stops everything.
//
//	go run ./cmd/devstack
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

	"github.com/firmaflow/firmaflow/internal/devstack"
	"github.com/firmaflow/firmaflow/internal/modules"
)

func main() {
	state := flag.String("state", ".devstack", "directory for the dev stack's state: Temporal's database and log, the simulators' processes")
	temporalAddr := flag.String("temporal", "127.0.0.1:7233", "Temporal frontend address")
	uiPort := flag.String("ui-port", "8233", "Temporal UI port")
	bridgeAddr := flag.String("bridge", "127.0.0.1:8080", "webhook bridge address")
	sims := map[string]*string{}
	for _, m := range modules.All {
		sims[m.Name] = flag.String(m.Name+"-sim", m.Simulator.Addr, m.Name+" simulator address")
	}
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
	if err := os.MkdirAll(*state, 0o700); err != nil {
		log.Error("state directory", "error", err)
		os.Exit(1)
	}
	// Temporal's own log goes to a file in the state directory: there when
	// something goes wrong, and (a file, not a pipe to this process) it is
	// not what ends the server when the dev stack dies — Pdeathsig is.
	temporalLog, err := os.OpenFile(filepath.Join(*state, "temporal.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		log.Error("Temporal log file", "error", err)
		os.Exit(1)
	}
	defer temporalLog.Close()
	stack, err := devstack.Start(ctx, devstack.Options{
		TemporalHostPort: *temporalAddr, UIPort: *uiPort, BridgeAddr: *bridgeAddr, SimulatorAddrs: addrs(sims),
		StateDir: *state, Config: cfg, DefaultScenario: *scenario, SimStepDelay: *step, Logger: log, TemporalLogs: temporalLog,
	})
	if err != nil {
		log.Error("dev stack failed to start", "error", err)
		os.Exit(1)
	}
	defer stack.Close()
	fmt.Printf(`
firmaflow dev stack is up
  Temporal UI        %s
  Temporal frontend  %s  (namespace %s, task queue %s)
  Webhook bridge     %s  (API token for /api/v1: %s)
  Documents          %s
  Simulators         %s

Start the demo process in another terminal:
  go run ./starter -input examples/arqsign-demo.json -wait
  (examples/*-demo.json run the same process on each provider)

Ctrl-C stops everything.
`, stack.UIURL, stack.Config.Temporal.Address, stack.Config.Temporal.Namespace, stack.Config.Temporal.TaskQueue,
		stack.BridgeURL, stack.Config.Bridge.APIToken, stack.Store.URL(), simList(stack.SimURLs))
	<-ctx.Done()
	slog.Info("stopping the dev stack")
}

func addrs(flags map[string]*string) map[string]string {
	out := map[string]string{}
	for name, v := range flags {
		out[name] = *v
	}
	return out
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
