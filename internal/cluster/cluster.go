// Package cluster runs firmaflow's scale-out profile on one machine: its
// own PostgreSQL, the real Temporal server (built from the pinned tools
// module) with SQL persistence and SQL visibility on it, two worker
// processes and two bridge processes behind a front that hands webhooks to
// either, and the provider simulators. cmd/cluster runs it for people;
// reliability's cluster fault test kills and restarts its parts.
// docker-compose.yml is the same deployment (deploy/compose_test.go).
package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/firmaflow/firmaflow/config"
	"github.com/firmaflow/firmaflow/internal/devserver"
	"github.com/firmaflow/firmaflow/internal/devstack"
	"github.com/firmaflow/firmaflow/internal/modules"
	"github.com/firmaflow/firmaflow/simulators/simkit"
)

// Options of a cluster. StateDir and Ports are required.
type Options struct {
	Ports Ports
	// StateDir holds PostgreSQL's data, the logs, the documents (unless
	// Config names a store) and the simulators' state; a restart on the
	// same directory carries on.
	StateDir string
	// Workers and Bridges: how many processes of each (default 2).
	Workers, Bridges int
	// WorkerBin and BridgeBin are built binaries; empty builds them into
	// StateDir/bin.
	WorkerBin, BridgeBin string
	// Config, DefaultScenario, SimStepDelay and SimFaults as in devstack.
	Config          config.Config
	DefaultScenario string
	SimStepDelay    time.Duration
	SimFaults       simkit.Faults
	Logger          *slog.Logger
}

// Cluster is a running scale-out profile. Stack holds the simulators, a
// Temporal client and the document store, as the dev stack does; its
// BridgeURL is the front.
type Cluster struct {
	Stack *devstack.Stack
	Ports Ports

	opts             Options
	log              *slog.Logger
	pg               *postgres
	server           *devserver.Server
	workers, bridges []*process
	workerBin        string
	bridgeBin        string
	closeLogs        []func() error
	front            *front
}

// Start brings the profile up, in order: PostgreSQL, the schemas, the
// server, the namespace and search attributes, the simulators, then the
// workers and bridges. Close takes it down.
func Start(ctx context.Context, opts Options) (_ *Cluster, err error) {
	if opts.StateDir == "" {
		return nil, errors.New("cluster: Options need a StateDir and Ports")
	}
	// PostgreSQL runs in its data directory: every path is absolute.
	if opts.StateDir, err = filepath.Abs(opts.StateDir); err != nil {
		return nil, err
	}
	opts.Workers, opts.Bridges = orDefault(opts.Workers), orDefault(opts.Bridges)
	if opts.Workers > maxProcesses || opts.Bridges > maxProcesses {
		return nil, fmt.Errorf("cluster: at most %d workers and bridges", maxProcesses)
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if err := opts.Ports.CheckFree(); err != nil {
		return nil, err
	}
	c := &Cluster{Ports: opts.Ports, opts: opts, log: opts.Logger, workerBin: opts.WorkerBin, bridgeBin: opts.BridgeBin}
	defer func() {
		if err != nil {
			c.Close()
		}
	}()
	logs := filepath.Join(opts.StateDir, "logs")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		return nil, err
	}
	if c.workerBin == "" || c.bridgeBin == "" {
		bins := filepath.Join(opts.StateDir, "bin")
		if c.workerBin, c.bridgeBin, err = BuildBinaries(ctx, bins); err != nil {
			return nil, err
		}
	}
	if err := c.startTemporal(ctx, logs); err != nil {
		return nil, err
	}
	if err := c.startStack(ctx); err != nil {
		return nil, err
	}
	for i := range opts.Workers {
		c.workers = append(c.workers, nil)
		if err := c.StartWorker(i); err != nil {
			return nil, err
		}
	}
	for i := range opts.Bridges {
		c.bridges = append(c.bridges, nil)
		if err := c.StartBridge(ctx, i); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func orDefault(n int) int {
	if n <= 0 {
		return 2
	}
	return n
}

// startTemporal starts PostgreSQL, migrates the schemas and starts the
// server with its namespace ready.
func (c *Cluster) startTemporal(ctx context.Context, logs string) error {
	pgLog, err := c.logFile(logs, "postgres.log")
	if err != nil {
		return err
	}
	pg, _, err := newPostgres(ctx, filepath.Join(c.opts.StateDir, "postgres"), c.Ports.Postgres(), pgLog)
	if err != nil {
		return err
	}
	if err := pg.start(ctx); err != nil {
		return err
	}
	c.pg = pg
	sqlTool, err := devserver.SQLToolBinary(ctx, c.log)
	if err != nil {
		return err
	}
	moduleDir, err := serverModuleDir(ctx)
	if err != nil {
		return err
	}
	schemaLog, err := c.logFile(logs, "schema.log")
	if err != nil {
		return err
	}
	if err := migrate(ctx, sqlTool, moduleDir, c.Ports.Postgres(), schemaLog); err != nil {
		return err
	}
	serverBin, err := devserver.ServerBinary(ctx, c.log)
	if err != nil {
		return err
	}
	root, err := devserver.RepoRoot()
	if err != nil {
		return err
	}
	serverLog, err := c.logFile(logs, "temporal.log")
	if err != nil {
		return err
	}
	if c.server, err = startServer(ctx, serverBin, root, c.Ports, serverLog); err != nil {
		return err
	}
	return prepareNamespace(ctx, c.Ports.Frontend())
}

// startStack starts the simulators, a client and the document store (a
// dev stack joined to our server, without worker or bridge of its own);
// the simulators post to the front.
func (c *Cluster) startStack(ctx context.Context) error {
	cfg := c.opts.Config
	if cfg.Store.URL == "" {
		cfg.Store.URL = filepath.Join(c.opts.StateDir, "documents")
	}
	bridges := make([]string, c.opts.Bridges)
	for i := range bridges {
		bridges[i] = "http://" + c.Ports.Bridge(i)
	}
	sims := map[string]string{}
	for i, m := range modules.All {
		sims[m.Name] = c.Ports.Simulator(i)
	}
	c.front = newFront(bridges)
	var err error
	c.Stack, err = devstack.Start(ctx, devstack.Options{
		TemporalAddress: c.Ports.Frontend(), BridgeAddr: c.Ports.Front(), BridgeHandler: c.front,
		SimulatorAddrs: sims, StateDir: c.opts.StateDir, Config: cfg, NoWorker: true,
		DefaultScenario: c.opts.DefaultScenario, SimStepDelay: c.opts.SimStepDelay, SimFaults: c.opts.SimFaults,
		Logger: c.log,
	})
	return err
}

func (c *Cluster) logFile(dir, name string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	c.closeLogs = append(c.closeLogs, f.Close)
	return f, nil
}

// StartWorker starts worker i (again, after KillWorker).
func (c *Cluster) StartWorker(i int) error {
	env := append(c.Stack.WorkerEnv(), settings(WorkerSettings(c.Ports, i))...)
	p, err := startBinary(fmt.Sprintf("worker %d", i+1), c.workerBin, env,
		filepath.Join(c.opts.StateDir, "logs", fmt.Sprintf("worker-%d.log", i+1)))
	if err != nil {
		return err
	}
	c.workers[i] = p
	return nil
}

// WorkerSettings are worker i's own settings (beside the stack's
// WorkerEnv): where it serves its metrics.
func WorkerSettings(p Ports, i int) map[string]string {
	return map[string]string{"FIRMAFLOW_WORKER_METRICS_ADDR": p.WorkerMetrics(i)}
}

// BridgeSettings are bridge i's own settings: its address, which serves
// the webhooks, the API and /metrics.
func BridgeSettings(p Ports, i int) map[string]string {
	return map[string]string{"FIRMAFLOW_BRIDGE_ADDR": p.Bridge(i)}
}

func settings(kv map[string]string) []string {
	var env []string
	for k, v := range kv {
		env = append(env, k+"="+v)
	}
	return env
}

// KillWorker kills worker i without warning (SIGKILL).
func (c *Cluster) KillWorker(i int) { c.workers[i].signal(syscall.SIGKILL) }

// StartBridge starts bridge i (again, after KillBridge) and waits until it
// is ready.
func (c *Cluster) StartBridge(ctx context.Context, i int) error {
	env := append(c.Stack.WorkerEnv(), settings(BridgeSettings(c.Ports, i))...)
	env = append(env, "FIRMAFLOW_API_TOKEN="+c.Stack.Config.Bridge.APIToken)
	p, err := startBinary(fmt.Sprintf("bridge %d", i+1), c.bridgeBin, env,
		filepath.Join(c.opts.StateDir, "logs", fmt.Sprintf("bridge-%d.log", i+1)))
	if err != nil {
		return err
	}
	c.bridges[i] = p
	return p.waitHTTP(ctx, "http://"+c.Ports.Bridge(i)+"/readyz")
}

// KillBridge kills bridge i without warning (SIGKILL).
func (c *Cluster) KillBridge(i int) { c.bridges[i].signal(syscall.SIGKILL) }

// RestartPostgres crashes PostgreSQL (immediate shutdown) and starts it
// again on its data: Temporal rides it out by retrying.
func (c *Cluster) RestartPostgres(ctx context.Context) error {
	c.pg.stop(syscall.SIGQUIT)
	return c.pg.start(ctx)
}

// BridgeServed is how many requests bridge i answered through the front.
func (c *Cluster) BridgeServed(i int) int64 { return c.front.served[i].Load() }

// BridgeURL is where webhooks and API calls go (the front).
func (c *Cluster) BridgeURL() string { return c.Stack.BridgeURL }

// Close stops everything: bridges first, then workers, simulators, the
// server and PostgreSQL.
func (c *Cluster) Close() {
	for _, p := range c.bridges {
		p.signal(syscall.SIGTERM)
	}
	for _, p := range c.workers {
		p.signal(syscall.SIGTERM)
	}
	if c.Stack != nil {
		c.Stack.Close()
	}
	if c.server != nil {
		c.server.Stop()
	}
	if c.pg != nil {
		c.pg.stop(syscall.SIGINT)
	}
	for _, f := range c.closeLogs {
		f()
	}
}
