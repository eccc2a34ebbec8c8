// Package devstack runs the whole of firmaflow on one machine: the embedded
// Temporal dev server (with UI), a worker, the webhook bridge and the
// provider simulators, wired to each other. cmd/devstack runs it for people;
// the end-to-end tests run it for assertions, so both exercise one wiring.
package devstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"google.golang.org/grpc"

	"github.com/firmaflow/firmaflow/config"
	"github.com/firmaflow/firmaflow/docstore"
	"github.com/firmaflow/firmaflow/internal/app"
	"github.com/firmaflow/firmaflow/internal/callcount"
	"github.com/firmaflow/firmaflow/internal/devserver"
	"github.com/firmaflow/firmaflow/internal/modules"
	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/simulators/simkit"
)

// Options choose ports and state. Zero values pick free ports and keep
// Temporal's state in memory (what tests want).
type Options struct {
	// TemporalHostPort, UIPort, BridgeAddr and SimulatorAddrs (by provider
	// name): empty picks free ports (UIPort empty disables the UI).
	TemporalHostPort string
	UIPort           string
	BridgeAddr       string
	SimulatorAddrs   map[string]string
	// Modules are the providers the stack runs, each on its simulator;
	// nil means modules.All. A test adds a provider by appending its module.
	Modules []providers.Module
	// TemporalAddress, when set, is a Temporal frontend already running
	// (the scale-out profile's server): the stack starts no dev server.
	TemporalAddress string
	// BridgeHandler, when set, is served on BridgeAddr in place of the
	// in-process bridge: the scale-out profile's front of its bridge
	// processes, where the simulators post their webhooks.
	BridgeHandler http.Handler
	// StateDir keeps the Temporal database (temporal.db); empty keeps it in memory.
	StateDir string
	// Config is the base configuration; provider URLs and secrets are
	// pointed at the simulators.
	Config config.Config
	// DefaultScenario for simulated processes that name none.
	DefaultScenario string
	// SimStepDelay paces the simulators' scenarios.
	SimStepDelay time.Duration
	// SimFaults injects faults into every simulator (reliability tests).
	SimFaults simkit.Faults
	// NoWorker leaves the worker out: a test runs the worker binary itself
	// (see WorkerEnv) to kill and restart it.
	NoWorker bool
	// BridgeDialOptions, when set, give the bridge a Temporal connection of
	// its own with these gRPC options, so its calls can be told from the
	// worker's (the load tool counts them); BridgeMiddleware wraps the
	// bridge's HTTP handler (the load tool counts the webhooks).
	BridgeDialOptions []grpc.DialOption
	BridgeMiddleware  func(http.Handler) http.Handler
	Logger            *slog.Logger
	TemporalLogs      io.Writer
}

// Stack is a running dev stack.
type Stack struct {
	Config    config.Config
	Temporal  *devserver.Server
	Client    client.Client
	Store     *docstore.Store
	BridgeURL string
	UIURL     string
	// Simulators run one per provider (by name), each at its SimURLs entry.
	Simulators map[string]providers.RunningSimulator
	SimURLs    map[string]string
	// BridgeCalls counts the bridge's Temporal calls by method.
	BridgeCalls *callcount.Counter

	worker  worker.Worker
	closers []func()
	opts    Options
	servers []*http.Server
	log     *slog.Logger
}

// DevAPIToken protects the dev stack's HTTP API. Published, so never
// accepted outside it; each provider's module publishes its own dev
// secrets (Module.DevSection).
const DevAPIToken = "dev-api-token"

// Start brings the stack up; Close takes it down.
func Start(ctx context.Context, opts Options) (_ *Stack, err error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	if opts.Modules == nil {
		opts.Modules = modules.All
	}
	if err := checkModules(opts.Modules); err != nil {
		return nil, err
	}
	if err := checkDefaultScenario(opts.Modules, opts.DefaultScenario); err != nil {
		return nil, err
	}
	s := &Stack{log: log, opts: opts, Simulators: map[string]providers.RunningSimulator{}}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	bridgeLn, err := listen("webhook bridge", opts.BridgeAddr)
	if err != nil {
		return nil, err
	}
	s.closers = append(s.closers, func() { bridgeLn.Close() })
	s.BridgeURL = "http://" + bridgeLn.Addr().String()
	s.SimURLs = map[string]string{}
	simLns := map[string]net.Listener{}
	for _, m := range opts.Modules {
		name := m.Name
		ln, err := listen(name+" simulator", opts.SimulatorAddrs[name])
		if err != nil {
			return nil, err
		}
		s.closers = append(s.closers, func() { ln.Close() })
		simLns[name], s.SimURLs[name] = ln, "http://"+ln.Addr().String()
	}
	// Temporal starts once every port of ours is held: a taken port is
	// refused at once, naming it, and nothing half-starts.
	if err := s.startTemporal(ctx); err != nil {
		return nil, err
	}
	cfg := devConfig(opts.Config, opts.Modules, s.BridgeURL, s.SimURLs)
	cfg.Temporal.Address = opts.TemporalAddress
	// The dev server and the cluster profile speak plain gRPC, whatever the
	// host's Temporal environment configuration says.
	cfg.Temporal.Plain()
	if s.Temporal != nil {
		cfg.Temporal.Address = s.Temporal.FrontendHostPort()
	}
	if s.UIURL != "" {
		cfg.Temporal.UIURL = s.UIURL
	}
	s.Config = cfg
	for _, m := range opts.Modules {
		if err := s.startSimulator(m, simLns[m.Name]); err != nil {
			return nil, err
		}
	}

	if s.Client, err = app.Dial(ctx, cfg, log.With("component", "temporal-client")); err != nil {
		return nil, err
	}
	if s.Store, err = docstore.Open(ctx, cfg.Store.URL); err != nil {
		return nil, err
	}
	reg, secrets, err := app.ProvidersWith(cfg, log, s.Store)
	if err != nil {
		return nil, err
	}
	if !opts.NoWorker {
		if s.worker, err = app.NewWorker(s.Client, cfg, reg, s.Store, log.With("component", "worker")); err != nil {
			return nil, err
		}
		if err := s.worker.Start(); err != nil {
			return nil, fmt.Errorf("devstack: start worker: %w", err)
		}
	}
	if opts.BridgeHandler != nil {
		s.serve(bridgeLn, opts.BridgeHandler)
		return s, nil
	}
	app.SweepStaging(ctx, s.Store, log.With("component", "bridge"))
	// The bridge has a Temporal connection of its own, whose calls are
	// counted (tests, the load tool).
	s.BridgeCalls = callcount.New()
	bridgeClient, err := app.Dial(ctx, cfg, log.With("component", "bridge-temporal-client"),
		append([]grpc.DialOption{s.BridgeCalls.DialOption()}, opts.BridgeDialOptions...)...)
	if err != nil {
		return nil, err
	}
	s.closers = append(s.closers, bridgeClient.Close)
	bridge := app.NewBridge(bridgeClient, cfg, reg, secrets, s.Store, log.With("component", "bridge"))
	server := bridge.Server()
	if opts.BridgeMiddleware != nil {
		server.Handler = opts.BridgeMiddleware(server.Handler)
	}
	s.serveWith(bridge.Listener(bridgeLn), server)
	return s, nil
}

// startTemporal starts the dev server unless the stack joins a running
// Temporal (Options.TemporalAddress).
func (s *Stack) startTemporal(ctx context.Context) error {
	opts := s.opts
	if opts.TemporalAddress != "" {
		return nil
	}
	dbFile := ""
	if opts.StateDir != "" {
		dbFile = filepath.Join(opts.StateDir, "temporal.db")
	}
	var err error
	s.Temporal, err = devserver.Start(ctx, s.log, devserver.Options{
		HostPort: opts.TemporalHostPort, UIPort: opts.UIPort, DBFile: dbFile, Logs: opts.TemporalLogs,
		Namespace: opts.Config.Temporal.Namespace,
	})
	if err != nil {
		return fmt.Errorf("devstack: start Temporal: %w", err)
	}
	if opts.UIPort != "" {
		s.UIURL = "http://localhost:" + opts.UIPort
	}
	return nil
}

// listen holds what's port for the stack's lifetime; a taken port is an
// error naming it (a *devserver.PortInUseError).
func listen(what, addr string) (net.Listener, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("devstack: %w", &devserver.PortInUseError{What: what, HostPort: addr, Err: err})
	}
	return ln, nil
}

func (s *Stack) serve(ln net.Listener, h http.Handler) {
	s.serveWith(ln, &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second})
}

// serveWith serves srv on ln until the stack closes (the bridge brings its
// own server, with its limits).
func (s *Stack) serveWith(ln net.Listener, srv *http.Server) {
	s.servers = append(s.servers, srv)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("devstack: server stopped", "addr", ln.Addr(), "error", err)
		}
	}()
}

// RestartTemporal stops the dev server and starts it again on the same
// address and database (needs Options.StateDir): a server crash and
// recovery, as the reliability test plays it.
func (s *Stack) RestartTemporal(ctx context.Context) error {
	if s.opts.StateDir == "" || s.Temporal == nil {
		return errors.New("devstack: restarting Temporal needs a StateDir and the stack's own dev server")
	}
	hostPort := s.Temporal.FrontendHostPort()
	if err := s.Temporal.Stop(); err != nil {
		s.log.Warn("devstack: stop Temporal", "error", err)
	}
	srv, err := devserver.Start(ctx, s.log, devserver.Options{HostPort: hostPort, UIPort: s.opts.UIPort,
		DBFile: filepath.Join(s.opts.StateDir, "temporal.db"), Logs: s.opts.TemporalLogs})
	if err != nil {
		return fmt.Errorf("devstack: restart Temporal: %w", err)
	}
	s.Temporal = srv
	return nil
}

// devConfig points base at the simulators (simURLs by provider name) with
// their published secrets (each module's DevSection), and turns on the dev
// switches explicitly: the simulators serve documents on loopback, local
// callback receivers have no certificate, and the secrets are the
// well-known ones.
func devConfig(base config.Config, mods []providers.Module, bridgeURL string, simURLs map[string]string) config.Config {
	cfg := base
	cfg.Bridge.PublicURL = bridgeURL
	cfg.Downloads.AllowPrivate = true
	cfg.Callbacks.AllowHTTP = true
	cfg.Secrets.AllowDev = true
	if cfg.Bridge.APIToken == "" {
		cfg.Bridge.APIToken = DevAPIToken
	}
	cfg.Providers = map[string]config.Section{}
	for _, m := range mods {
		cfg.Providers[m.Name] = m.DevSection(simURLs[m.Name])
	}
	return cfg
}

// WorkerEnv is the environment that makes the worker binary (./worker)
// join this stack: what a deployment sets, for tests that run the real
// binary outside the process.
func (s *Stack) WorkerEnv() []string {
	c := s.Config
	kv := map[string]string{
		"TEMPORAL_ADDRESS": c.Temporal.Address, "TEMPORAL_NAMESPACE": c.Temporal.Namespace,
		// The dev server speaks plain gRPC: these turn off whatever TLS or
		// API key the host's Temporal environment configuration holds.
		"TEMPORAL_TLS": "false", "TEMPORAL_API_KEY": "",
		"FIRMAFLOW_TASK_QUEUE": c.Temporal.TaskQueue, "FIRMAFLOW_DOCSTORE_URL": s.Store.URL(),
		"FIRMAFLOW_ALLOW_PRIVATE_DOWNLOADS": strconv.FormatBool(c.Downloads.AllowPrivate), "FIRMAFLOW_LOG_LEVEL": "warn",
		"FIRMAFLOW_ALLOW_HTTP_CALLBACKS": strconv.FormatBool(c.Callbacks.AllowHTTP),
		"FIRMAFLOW_ALLOW_DEV_SECRETS":    strconv.FormatBool(c.Secrets.AllowDev),
		"FIRMAFLOW_BRIDGE_PUBLIC_URL":    c.Bridge.PublicURL,
		// Any free port: tests run several workers at once.
		"FIRMAFLOW_WORKER_METRICS_ADDR": "127.0.0.1:0",
	}
	for _, section := range c.Providers {
		maps.Copy(kv, config.Variables(section))
	}
	env := make([]string, 0, len(kv))
	for k, v := range kv {
		env = append(env, k+"="+v)
	}
	sort.Strings(env)
	return env
}

// Close stops everything, bridge first so no webhook is accepted that the
// stack can no longer deliver.
func (s *Stack) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := len(s.servers) - 1; i >= 0; i-- {
		s.servers[i].Shutdown(ctx)
	}
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
	if s.worker != nil {
		s.worker.Stop()
	}
	if s.Client != nil {
		s.Client.Close()
	}
	if s.Store != nil {
		s.Store.Close()
	}
	if s.Temporal != nil {
		s.Temporal.Stop()
	}
}
