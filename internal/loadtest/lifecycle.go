package loadtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/firmaflow/firmaflow/activities"
	"github.com/firmaflow/firmaflow/internal/app"
	"github.com/firmaflow/firmaflow/internal/callcount"
	"github.com/firmaflow/firmaflow/providers/autosign"
	"github.com/firmaflow/firmaflow/routing"
	"github.com/firmaflow/firmaflow/signing"
	"github.com/firmaflow/firmaflow/starter/processes"
)

// LifecycleDocumentBytes is the size of the document each lifecycle process
// sends, and so (signed) fetches back.
const LifecycleDocumentBytes = 1 << 20

// LifecycleOptions size the lifecycle scenario.
type LifecycleOptions struct {
	Provider string
	// Processes run each way in each round.
	Processes   int
	Concurrency int
	// Rounds alternate the two phases' order (ABBA); 0 is DefaultRounds.
	Rounds int
}

// LifecycleResult is what the lifecycle scenario measured.
type LifecycleResult struct {
	Provider    string
	Processes   int
	Concurrency int
	// Rounds are each round's two phases, in the order run.
	Rounds []LifecycleRound
	// Firmaflow: SigningProcess workflows through the bridge; Bare: the
	// baseline workflow through the bare router. Each is pooled over the
	// rounds (see pool): PerSecond is the median round's.
	Firmaflow, Bare LifecyclePhase
	// FirmaflowHistory and BareHistory are what a process of each kind
	// wrote to Temporal, from the first round's first processes' histories
	// (firmaflow's with its route's); empty when they could not be read.
	FirmaflowHistory, BareHistory HistoryProfile
}

// LifecycleRound is one round: both phases, FirmaflowFirst saying which
// ran first.
type LifecycleRound struct {
	FirmaflowFirst  bool
	Firmaflow, Bare LifecyclePhase
}

// Ratio is the round's firmaflow throughput as a share of the bare workflow's.
func (r LifecycleRound) Ratio() float64 { return ratio(r.Firmaflow.PerSecond, r.Bare.PerSecond) }

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

// Ratio is the median of the rounds' ratios of firmaflow's throughput to
// the bare workflow's (with no rounds, that of the pooled figures).
func (r LifecycleResult) Ratio() float64 {
	return medianRatio(r.Rounds, ratio(r.Firmaflow.PerSecond, r.Bare.PerSecond))
}

// poolLifecycle sums the rounds' phases into one per side.
func poolLifecycle(phases []LifecyclePhase) LifecyclePhase {
	out := LifecyclePhase{Webhooks: -1}
	summaries := make([]Summary, len(phases))
	for i, p := range phases {
		summaries[i] = p.Summary
		out.Calls = addCalls(out.Calls, p.Calls)
		if p.Webhooks >= 0 {
			out.Webhooks = max(out.Webhooks, 0) + p.Webhooks
		}
		out.StoredBytes += p.StoredBytes
		out.WorkflowIDs = append(out.WorkflowIDs, p.WorkflowIDs...)
	}
	out.Summary = pool(summaries)
	return out
}

// Lifecycle runs, in each of Rounds rounds, Processes whole processes
// (send with a 1 MiB document, two signers, completion, fetch) through
// firmaflow and as many through the bare workflow, each at Concurrency
// processes in flight, firmaflow first in even rounds and second in odd
// ones. The provider
// carries them (the simulators' "sign" scenario), so the deployment's
// providers must be simulators.
func Lifecycle(ctx context.Context, env *Env, opts LifecycleOptions) (LifecycleResult, error) {
	res := LifecycleResult{Provider: opts.Provider, Processes: opts.Processes, Concurrency: opts.Concurrency}
	if opts.Processes < 1 || opts.Concurrency < 1 || opts.Rounds < 0 {
		return res, errors.New("loadtest: lifecycle needs at least 1 process, concurrency 1 and no negative rounds")
	}
	if opts.Rounds == 0 {
		opts.Rounds = DefaultRounds
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

	var routesMu sync.Mutex
	routes := map[string]string{} // process workflow id -> its route's
	firmaflow := func(ctx context.Context, i int) (string, int64, error) {
		in := processInput(fmt.Sprintf("loadtest-%s-life-%d", run, i), opts.Provider, "sign", doc)
		wr, err := processes.Start(ctx, env.Client, env.Config.Temporal.TaskQueue, in)
		if err != nil {
			return "", 0, err
		}
		out, err := processes.Result(ctx, wr)
		if out.ProviderRef != "" {
			routesMu.Lock()
			routes[signing.WorkflowID(in.ProcessID)] = routing.RouteWorkflowID(in.Provider, out.ProviderRef)
			routesMu.Unlock()
		}
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
	// the workers' caches are then warm for both phases alike. Processes
	// are numbered across rounds; the warm-up's come after them.
	warmup := opts.Rounds * opts.Processes
	for _, warm := range []func(context.Context, int) (string, int64, error){firmaflow, bareProcess} {
		if id, _, err := warm(ctx, warmup); err != nil {
			return res, fmt.Errorf("loadtest: warm-up process %s: %w", id, err)
		}
	}

	var firmaflowPhases, barePhases []LifecyclePhase
	for r := range opts.Rounds {
		round := LifecycleRound{FirmaflowFirst: firmaflowFirst(r)}
		from := r * opts.Processes
		ours := func() {
			calls, webhooks := env.BridgeCalls.Snapshot(), env.Webhooks.Count()
			round.Firmaflow = runLifecycles(ctx, env, "firmaflow", opts, from, firmaflow)
			round.Firmaflow.Calls, round.Firmaflow.Webhooks = env.BridgeCalls.Snapshot().Since(calls), -1
			if webhooks >= 0 {
				round.Firmaflow.Webhooks = env.Webhooks.Count() - webhooks
			}
		}
		theirs := func() {
			calls, webhooks := bare.calls.Snapshot(), bare.webhooks.Count()
			round.Bare = runLifecycles(ctx, env, "bare", opts, from, bareProcess)
			round.Bare.Calls, round.Bare.Webhooks = bare.calls.Snapshot().Since(calls), bare.webhooks.Count()-webhooks
		}
		inOrder(round.FirmaflowFirst, ours, theirs)
		res.Rounds = append(res.Rounds, round)
		firmaflowPhases, barePhases = append(firmaflowPhases, round.Firmaflow), append(barePhases, round.Bare)
		for _, p := range []LifecyclePhase{round.Firmaflow, round.Bare} {
			if p.Failed > 0 {
				return res, fmt.Errorf("loadtest: round %d: %d of %d lifecycle processes failed (see the log)", r+1, p.Failed, opts.Processes)
			}
		}
	}
	res.Firmaflow, res.Bare = poolLifecycle(firmaflowPhases), poolLifecycle(barePhases)

	// Untimed: what each kind of process wrote to Temporal.
	var ours, theirs [][]string
	for _, id := range res.Rounds[0].Firmaflow.WorkflowIDs[:min(profileSample, opts.Processes)] {
		ours = append(ours, []string{id, routes[id]})
	}
	for _, id := range res.Rounds[0].Bare.WorkflowIDs[:min(profileSample, opts.Processes)] {
		theirs = append(theirs, []string{id})
	}
	if res.FirmaflowHistory, err = historyProfile(ctx, env.Client, ours); err != nil {
		env.Log.Warn("history profile not read", "error", err)
		res.FirmaflowHistory = HistoryProfile{}
	}
	if res.BareHistory, err = historyProfile(ctx, env.Client, theirs); err != nil {
		env.Log.Warn("history profile not read", "error", err)
		res.BareHistory = HistoryProfile{}
	}
	return res, nil
}

// runLifecycles runs one phase: processes from..from+Processes-1, each
// from start to result, with Concurrency in flight.
func runLifecycles(ctx context.Context, env *Env, name string, opts LifecycleOptions, from int, process func(ctx context.Context, i int) (string, int64, error)) LifecyclePhase {
	ids := make([]string, opts.Processes)
	stored := make([]int64, opts.Processes)
	t := runConcurrently(ctx, opts.Processes, opts.Concurrency, func(ctx context.Context, i int) error {
		var err error
		ids[i], stored[i], err = process(ctx, from+i)
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

	w := worker.New(env.Client, bareTaskQueue, app.WorkerOptions(cfg.Worker))
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
