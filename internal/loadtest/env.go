package loadtest

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/sethvargo/go-envconfig"
	"go.temporal.io/sdk/client"
	"google.golang.org/grpc"

	"github.com/firmaflow/firmaflow/config"
	"github.com/firmaflow/firmaflow/docstore"
	"github.com/firmaflow/firmaflow/internal/app"
	"github.com/firmaflow/firmaflow/internal/callcount"
	"github.com/firmaflow/firmaflow/internal/devstack"
	"github.com/firmaflow/firmaflow/internal/modules"
	"github.com/firmaflow/firmaflow/providers"
)

// Env is the deployment a scenario runs against and the clients it uses.
type Env struct {
	// Config names the task queue, namespace and providers (and, for the
	// lifecycle scenario's bare workers, the providers' credentials).
	Config config.Config
	Log    *slog.Logger
	// Client starts, waits for and checks processes; its calls are not counted.
	Client client.Client
	// Raw sends the ingest scenario's raw signals on a connection of its
	// own; RawCalls counts its calls.
	Raw      client.Client
	RawCalls *callcount.Counter
	// BridgeURL is where webhooks go. BridgeCalls counts the bridge's
	// Temporal calls and Webhooks the webhooks it receives; both are nil
	// when the bridge runs elsewhere.
	BridgeURL   string
	BridgeCalls *callcount.Counter
	Webhooks    *WebhookCounter
	Store       *docstore.Store
	Providers   *providers.Registry
	Secrets     map[string]string
	// Simulated: the providers are the embedded simulators, which post a
	// webhook of their own right after each send.
	Simulated bool
	// BareListen is where the lifecycle scenario's bare router listens
	// (host:port, port 0 for any); BarePublicURL is how the provider reaches
	// it (empty: http:// and the address it got).
	BareListen, BarePublicURL string

	// metricsPages are the Prometheus pages the open scenario reads memory from.
	metricsPages []metricsPage
	closers      []func()
}

// AddMetricsPage has the open scenario read memory from the Prometheus
// page at url, served by role ("worker" or "bridge").
func (e *Env) AddMetricsPage(role, url string) {
	e.metricsPages = append(e.metricsPages, metricsPage{role: role, component: role, url: url})
}

// simStepDelay paces the embedded simulators: short, so that a process's
// time is firmaflow's and Temporal's, not simulated signers'.
const simStepDelay = time.Millisecond

// EmbeddedOptions place the embedded stack.
type EmbeddedOptions struct {
	// FirstPort, when not 0, puts the stack on 127.0.0.1 ports FirstPort
	// (Temporal), +1 (bridge), +2..+5 (simulators) and +6 (the lifecycle
	// scenario's bare router); 0 picks free ports.
	FirstPort int
	Logger    *slog.Logger
	// WorkerBinary, when set, runs the worker as that binary (built from
	// ./worker) instead of in this process, so that its memory is its own;
	// WorkerEnv is added to its environment (e.g.
	// FIRMAFLOW_WORKFLOW_CACHE_SIZE). Its metrics page is read on the
	// port after the bare router's (FirstPort+7), or a free one.
	WorkerBinary string
	WorkerEnv    []string
	// WorkflowCacheSize sets the in-process worker's sticky cache; 0 keeps
	// the default.
	WorkflowCacheSize int
}

// StartEmbedded starts the Temporal dev server, worker, bridge and
// simulators in this process (internal/devstack, as the end-to-end tests
// do), with the bridge on a counted Temporal connection of its own.
func StartEmbedded(ctx context.Context, opts EmbeddedOptions) (_ *Env, err error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	env := &Env{Log: log, Simulated: true, BridgeCalls: callcount.New(), Webhooks: &WebhookCounter{}, RawCalls: callcount.New()}
	defer func() {
		if err != nil {
			env.Close()
		}
	}()
	dir, err := os.MkdirTemp("", "firmaflow-loadtest-store")
	if err != nil {
		return nil, fmt.Errorf("loadtest: document store directory: %w", err)
	}
	env.closers = append(env.closers, func() { os.RemoveAll(dir) })
	vars := map[string]string{"FIRMAFLOW_DOCSTORE_URL": dir, "FIRMAFLOW_LOG_LEVEL": "warn"}
	if opts.WorkflowCacheSize > 0 {
		vars["FIRMAFLOW_WORKFLOW_CACHE_SIZE"] = strconv.Itoa(opts.WorkflowCacheSize)
	}
	cfg, err := config.LoadFrom(ctx, envconfig.MapLookuper(vars))
	if err != nil {
		return nil, err
	}
	sopts := devstack.Options{
		Config: cfg, SimStepDelay: simStepDelay, Logger: log, NoWorker: opts.WorkerBinary != "",
		BridgeDialOptions: []grpc.DialOption{env.BridgeCalls.DialOption()}, BridgeMiddleware: env.Webhooks.Middleware,
	}
	env.BareListen = "127.0.0.1:0"
	workerMetrics := "127.0.0.1:0"
	if p := opts.FirstPort; p != 0 {
		at := func(i int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(p+i)) }
		sopts.TemporalHostPort, sopts.BridgeAddr = at(0), at(1)
		sopts.SimulatorAddrs = map[string]string{}
		for i, m := range modules.All {
			sopts.SimulatorAddrs[m.Name] = at(2 + i)
		}
		env.BareListen = at(2 + len(modules.All))
		workerMetrics = at(3 + len(modules.All))
	}
	stack, err := devstack.Start(ctx, sopts)
	if err != nil {
		return nil, fmt.Errorf("loadtest: embedded stack: %w", err)
	}
	env.closers = append(env.closers, stack.Close)
	env.Config, env.Client, env.Store, env.BridgeURL = stack.Config, stack.Client, stack.Store, stack.BridgeURL
	// The bridge's page is this process's: with the worker in it too
	// unless the worker runs as its own binary.
	inProcess := "embedded stack (worker, bridge, simulators, load tool)"
	if opts.WorkerBinary != "" {
		inProcess = "embedded stack (bridge, simulators, load tool)"
		url, stop, err := startWorkerBinary(ctx, opts.WorkerBinary, append(stack.WorkerEnv(), opts.WorkerEnv...), workerMetrics, log)
		if err != nil {
			return nil, err
		}
		env.closers = append(env.closers, stop)
		env.AddMetricsPage("worker", url)
	}
	env.metricsPages = append(env.metricsPages, metricsPage{role: "stack", component: inProcess, url: stack.BridgeURL + "/metrics", inProcess: true})
	if err := env.finish(ctx); err != nil {
		return nil, err
	}
	return env, nil
}

// Connect uses a running deployment: cfg as its worker is configured (the
// same environment variables), Temporal at cfg.Temporal.Address, and the
// bridge at bridgeURL. The bridge's own calls cannot be counted from here.
func Connect(ctx context.Context, cfg config.Config, bridgeURL string, log *slog.Logger) (_ *Env, err error) {
	if log == nil {
		log = slog.Default()
	}
	env := &Env{Config: cfg, Log: log, BridgeURL: bridgeURL, RawCalls: callcount.New(), BareListen: "127.0.0.1:0"}
	defer func() {
		if err != nil {
			env.Close()
		}
	}()
	if env.Client, err = app.Dial(ctx, cfg, log); err != nil {
		return nil, err
	}
	env.closers = append(env.closers, env.Client.Close)
	if env.Store, err = docstore.Open(ctx, cfg.Store.URL); err != nil {
		return nil, err
	}
	env.closers = append(env.closers, func() { env.Store.Close() })
	if err := env.finish(ctx); err != nil {
		return nil, err
	}
	return env, nil
}

// finish dials the raw connection and builds the providers (their webhook
// parsers and secrets).
func (e *Env) finish(ctx context.Context) error {
	raw, err := app.Dial(ctx, e.Config, e.Log, e.RawCalls.DialOption())
	if err != nil {
		return err
	}
	e.Raw = raw
	e.closers = append(e.closers, raw.Close)
	e.Providers, e.Secrets, err = app.ProvidersWith(e.Config, e.Log, e.Store)
	if err != nil {
		return fmt.Errorf("loadtest: providers: %w", err)
	}
	return nil
}

// Close stops what StartEmbedded or Connect started, last first.
func (e *Env) Close() {
	for i := len(e.closers) - 1; i >= 0; i-- {
		e.closers[i]()
	}
	e.closers = nil
}
