package loadtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/firmaflow/firmaflow/activities"
	"github.com/firmaflow/firmaflow/internal/app"
	"github.com/firmaflow/firmaflow/internal/callcount"
	"github.com/firmaflow/firmaflow/providers/autosign"
	"github.com/firmaflow/firmaflow/signing"
	"github.com/firmaflow/firmaflow/starter/processes"
)

// LifecycleDocumentBytes is the size of the document each lifecycle process
// sends, and so (signed) fetches back.
const LifecycleDocumentBytes = 1 << 20

// LifecycleOptions size the lifecycle scenario.
type LifecycleOptions struct {
	Provider    string
	Processes   int
	Concurrency int
}

// LifecycleResult is what the lifecycle scenario measured.
type LifecycleResult struct {
	Provider    string
	Processes   int
	Concurrency int
	// Firmaflow: SigningProcess workflows through the bridge; Bare: the
	// baseline workflow through the bare router.
	Firmaflow, Bare LifecyclePhase
}

// LifecyclePhase is one way of running the processes. Its Summary's
// latencies are each process's time from start to result.
type LifecyclePhase struct {
	Summary
	// Calls are the Temporal calls of whatever received the webhooks (the
	// bridge, the bare router); nil: not counted.
	Calls callcount.Calls
	// Webhooks is what that receiver got (-1: not counted).
	Webhooks int64
	// StoredBytes is the size of the documents the processes fetched.
	StoredBytes int64
	WorkflowIDs []string
}

// Ratio is firmaflow's throughput as a share of the bare workflow's.
func (r LifecycleResult) Ratio() float64 { return ratio(r.Firmaflow.PerSecond, r.Bare.PerSecond) }

// Lifecycle runs Processes whole processes (send with a 1 MiB document,
// two signers, completion, fetch) through firmaflow, then as many through
// the bare workflow, each at Concurrency processes in flight. The provider
// carries them (the simulators' "sign" scenario), so the deployment's
// providers must be simulators.
func Lifecycle(ctx context.Context, env *Env, opts LifecycleOptions) (LifecycleResult, error) {
	res := LifecycleResult{Provider: opts.Provider, Processes: opts.Processes, Concurrency: opts.Concurrency}
	if opts.Processes < 1 || opts.Concurrency < 1 {
		return res, errors.New("loadtest: lifecycle needs at least 1 process and concurrency 1")
	}
	// The bare process gets its webhooks only if the provider posts them
	// where each process says: Autosign names the endpoint per transaction.
	if opts.Provider != autosign.Name {
		return res, fmt.Errorf("loadtest: the lifecycle scenario runs on %s (the provider whose webhook address is set per process), not %q", autosign.Name, opts.Provider)
	}
	run := newRunID()
	doc, err := uploadDocument(ctx, env.Store, run, LifecycleDocumentBytes)
	if err != nil {
		return res, err
	}
	bare, err := startBare(ctx, env)
	if err != nil {
		return res, err
	}
	defer bare.close()

	firmaflow := func(ctx context.Context, i int) (string, int64, error) {
		in := processInput(fmt.Sprintf("loadtest-%s-life-%d", run, i), opts.Provider, "sign", doc)
		wr, err := processes.Start(ctx, env.Client, env.Config.Temporal.TaskQueue, in)
		if err != nil {
			return "", 0, err
		}
		out, err := processes.Result(ctx, wr)
		if err == nil && out.Status != signing.StatusCompleted {
			err = fmt.Errorf("process %s ended %s: %s", in.ProcessID, out.Status, out.Reason)
		}
		return signing.WorkflowID(in.ProcessID), storedBytes(out.Documents), err
	}
	bareProcess := func(ctx context.Context, i int) (string, int64, error) {
		in := processInput(fmt.Sprintf("loadtest-%s-bare-%d", run, i), opts.Provider, "sign", doc)
		id := "loadtest-bare-" + in.ProcessID
		wr, err := env.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: bareTaskQueue}, BareWorkflowType, in)
		if err != nil {
			return id, 0, fmt.Errorf("start bare process: %w", err)
		}
		var out BareResult
		if err := wr.Get(ctx, &out); err != nil {
			return id, 0, fmt.Errorf("bare process %s: %w", id, err)
		}
		return id, storedBytes(out.Documents), nil
	}
	// One untimed process each way first: connections, OAuth tokens and
	// the workers' caches are then warm for both phases alike.
	for _, warm := range []func(context.Context, int) (string, int64, error){firmaflow, bareProcess} {
		if id, _, err := warm(ctx, opts.Processes); err != nil {
			return res, fmt.Errorf("loadtest: warm-up process %s: %w", id, err)
		}
	}

	calls, webhooks := env.BridgeCalls.Snapshot(), env.Webhooks.Count()
	res.Firmaflow = runLifecycles(ctx, env, "firmaflow", opts, firmaflow)
	res.Firmaflow.Calls, res.Firmaflow.Webhooks = env.BridgeCalls.Snapshot().Since(calls), -1
	if webhooks >= 0 {
		res.Firmaflow.Webhooks = env.Webhooks.Count() - webhooks
	}

	calls, webhooks = bare.calls.Snapshot(), bare.webhooks.Count()
	res.Bare = runLifecycles(ctx, env, "bare", opts, bareProcess)
	res.Bare.Calls, res.Bare.Webhooks = bare.calls.Snapshot().Since(calls), bare.webhooks.Count()-webhooks
	for _, p := range []*LifecyclePhase{&res.Firmaflow, &res.Bare} {
		if p.Failed > 0 {
			return res, fmt.Errorf("loadtest: %d of %d lifecycle processes failed (see the log)", p.Failed, opts.Processes)
		}
	}
	return res, nil
}

// runLifecycles runs one phase: each process from start to result, with
// Concurrency in flight.
func runLifecycles(ctx context.Context, env *Env, name string, opts LifecycleOptions, process func(ctx context.Context, i int) (string, int64, error)) LifecyclePhase {
	ids := make([]string, opts.Processes)
	stored := make([]int64, opts.Processes)
	t := runConcurrently(ctx, opts.Processes, opts.Concurrency, func(ctx context.Context, i int) error {
		var err error
		ids[i], stored[i], err = process(ctx, i)
		if err == nil && stored[i] < LifecycleDocumentBytes {
			err = fmt.Errorf("%s stored %d bytes, want at least %d", ids[i], stored[i], LifecycleDocumentBytes)
		}
		return err
	})
	phase := LifecyclePhase{Summary: t.summary(), WorkflowIDs: ids}
	for _, n := range stored {
		phase.StoredBytes += n
	}
	if err := t.firstError(); err != nil {
		env.Log.Warn("lifecycle processes failed", "phase", name, "failed", t.failed(), "first_error", err)
	}
	return phase
}

func storedBytes(docs []signing.StoredDocument) int64 {
	var n int64
	for _, d := range docs {
		n += d.Size
	}
	return n
}

// bareService is the baseline's worker and webhook router.
type bareService struct {
	calls    *callcount.Counter
	webhooks *WebhookCounter
	close    func()
}

// startBare starts the bare router (on a counted Temporal connection of its
// own, as the bridge has) and a worker for the bare workflow whose
// providers send the router's address as each process's webhook endpoint.
func startBare(ctx context.Context, env *Env) (_ *bareService, err error) {
	svc := &bareService{calls: callcount.New(), webhooks: &WebhookCounter{}}
	var closers []func()
	svc.close = func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	defer func() {
		if err != nil {
			svc.close()
		}
	}()
	ln, err := net.Listen("tcp", env.BareListen)
	if err != nil {
		return nil, fmt.Errorf("loadtest: bare router: %w", err)
	}
	closers = append(closers, func() { ln.Close() })
	publicURL := env.BarePublicURL
	if publicURL == "" {
		publicURL = "http://" + ln.Addr().String()
	}
	cfg := env.Config
	cfg.Bridge.PublicURL = publicURL
	reg, secrets, err := app.ProvidersWith(cfg, env.Log, env.Store)
	if err != nil {
		return nil, fmt.Errorf("loadtest: bare providers: %w", err)
	}
	routerClient, err := app.Dial(ctx, cfg, env.Log, svc.calls.DialOption())
	if err != nil {
		return nil, err
	}
	closers = append(closers, routerClient.Close)
	routes := newRouteTable()
	router := &bareRouter{providers: reg, secrets: secrets, client: routerClient, routes: routes, log: env.Log}
	srv := &http.Server{Handler: svc.webhooks.Middleware(router), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	closers = append(closers, func() {
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	})

	w := worker.New(env.Client, bareTaskQueue, worker.Options{})
	w.RegisterWorkflowWithOptions(BareProcess, workflow.RegisterOptions{Name: BareWorkflowType})
	w.RegisterActivity(&bareActivities{routes: routes, acts: &activities.Activities{
		Providers: reg, Store: env.Store, Logger: env.Log, Temporal: env.Client, Namespace: cfg.Temporal.Namespace,
	}})
	if err := w.Start(); err != nil {
		return nil, fmt.Errorf("loadtest: bare worker: %w", err)
	}
	closers = append(closers, w.Stop)
	return svc, nil
}
