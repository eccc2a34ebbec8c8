// Package reliability is firmaflow's fault-injection test: many signing
// processes across the providers on the real Temporal dev server with the
// real worker binary, while webhooks arrive two or three times and out of
// order (some before their owner is known), the providers' APIs fail 10% of
// calls with 5xx or 429, the worker is killed with SIGKILL and restarted,
// and the Temporal server is restarted once. An oracle then compares every
// process's complete final state with the simulators' ledgers of what
// really happened (package oracle). See docs/reliability.md.
package reliability

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/firmaflow/firmaflow/config"
	"github.com/firmaflow/firmaflow/internal/devserver"
	"github.com/firmaflow/firmaflow/internal/devstack"
	"github.com/firmaflow/firmaflow/internal/simulated"
	"github.com/firmaflow/firmaflow/providers/arqsign"
	"github.com/firmaflow/firmaflow/providers/autosign"
	"github.com/firmaflow/firmaflow/providers/cellosign"
	"github.com/firmaflow/firmaflow/providers/contractualis"
	"github.com/firmaflow/firmaflow/routing"
	"github.com/firmaflow/firmaflow/signing"
	"github.com/firmaflow/firmaflow/simulators/arqsignsim"
	"github.com/firmaflow/firmaflow/simulators/autosignsim"
	"github.com/firmaflow/firmaflow/simulators/cellosignsim"
	"github.com/firmaflow/firmaflow/simulators/contractualissim"
	"github.com/firmaflow/firmaflow/simulators/simkit"
	"github.com/firmaflow/firmaflow/starter/processes"
)

// kase is a scenario and the end it implies.
type kase struct {
	provider, scenario string
	status             signing.Status
	resends, renewals  int
	cancels            int  // cancel calls the provider must see
	userCancel         bool // the test cancels through the update
	documents          int  // documents fetched (each downloaded exactly once)
	signers            int  // default 2
	// temporalCancel: the test cancels the workflow from Temporal, as the
	// UI's "Request Cancellation" does.
	temporalCancel bool
	// lastRejects: the last signer refuses once the others show signed.
	lastRejects bool
	// pile: hundreds of events pile up while the worker is down.
	pile bool
	// reconcileEvery overrides the test's 2 s reconciliation; the default 1 h
	// is used where a quick reconciliation would hide a lost event.
	reconcileEvery time.Duration
}

func (k kase) name() string {
	switch {
	case k.temporalCancel:
		return k.scenario + "+temporal-cancel"
	case k.pile:
		return k.scenario + "+pile-up"
	case k.userCancel:
		return k.scenario + "+user-cancel"
	}
	return k.scenario
}

var cases = []kase{
	{provider: arqsign.Name, scenario: arqsignsim.ScenarioSign, status: signing.StatusCompleted, documents: 2},
	{provider: arqsign.Name, scenario: arqsignsim.ScenarioDeliveryFailure, status: signing.StatusCompleted, resends: 1, documents: 2},
	{provider: arqsign.Name, scenario: arqsignsim.ScenarioReject, status: signing.StatusRejected},
	{provider: arqsign.Name, scenario: arqsignsim.ScenarioCancel, status: signing.StatusCancelled},
	{provider: arqsign.Name, scenario: arqsignsim.ScenarioExpire, status: signing.StatusCompleted, renewals: 1, documents: 2},
	{provider: arqsign.Name, scenario: arqsignsim.ScenarioExpireAlways, status: signing.StatusExpired, renewals: 1, cancels: 1}, // giving up withdraws
	{provider: arqsign.Name, scenario: arqsignsim.ScenarioLostCompletion, status: signing.StatusCompleted, documents: 2},
	{provider: arqsign.Name, scenario: arqsignsim.ScenarioManual, status: signing.StatusCancelled, cancels: 1, userCancel: true},
	{provider: contractualis.Name, scenario: contractualissim.ScenarioSign, status: signing.StatusCompleted, documents: 4},
	{provider: contractualis.Name, scenario: contractualissim.ScenarioNoTokens, status: signing.StatusCompleted, documents: 4},
	{provider: autosign.Name, scenario: autosignsim.ScenarioSign, status: signing.StatusCompleted, documents: 1},
	{provider: autosign.Name, scenario: autosignsim.ScenarioReject, status: signing.StatusRejected},
	{provider: cellosign.Name, scenario: cellosignsim.ScenarioSign, status: signing.StatusCompleted, documents: 2},
}

func env(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

type run struct {
	k     kase
	in    signing.Input
	runID string
	res   signing.Result
	err   error
	took  time.Duration
	fed   chan struct{} // closed once a pile-up process's events are posted
}

func TestFaultInjection(t *testing.T) {
	if testing.Short() {
		t.Skip("fault injection takes a few minutes")
	}
	total := env("FIRMAFLOW_FAULT_PROCESSES", 200)
	// Bounded, with room for a 2-core machine whose cores are both busy
	// with other work (CI's case): the run then takes about 10 minutes.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	pending := pendingFaults()
	kases := cases
	var slowOn atomic.Bool
	faults := simkit.Faults{APIFailRate: 0.10, Copies: 3, Jitter: 40 * time.Millisecond, Seed: 42}
	var workerEnv []string
	if pending {
		kases = append(append([]kase(nil), cases...), pendingCases...)
		// Slow calls start once the worker has been killed and restarted: a
		// worker killed while a provider call it made is still unanswered
		// has that call retried. ArqSIGN's resend and renewal (one PATCH,
		// no idempotency key) then rely on the provider's notices to tell
		// a landed first attempt (docs/reliability.md; e2e's lost-answer
		// tests); the slow calls test that a call slower than the
		// heartbeat timeout is never made twice by a live worker.
		faults.SlowRate, faults.SlowDelay, faults.SlowOn = slowRate, slowDelay, &slowOn
		workerEnv = append(workerEnv, fmt.Sprintf("FIRMAFLOW_TEST_EVENTS_PER_RUN=%d", pileEventsPerRun))
	}

	workerBin := buildWorker(t)
	state := t.TempDir()
	cfg, err := config.LoadFrom(ctx, mapLookuper{"FIRMAFLOW_DOCSTORE_URL": filepath.Join(state, "documents")})
	require.NoError(t, err)
	stack, err := devstack.Start(ctx, devstack.Options{
		StateDir: state, Config: cfg, NoWorker: true, Logger: log,
		DefaultScenario: arqsignsim.ScenarioSign, SimStepDelay: 5 * time.Millisecond,
		SimFaults: faults,
	})
	require.NoError(t, err)
	defer stack.Close()

	worker := startWorker(t, workerBin, stack, filepath.Join(state, "worker-1.log"), workerEnv...)
	runs := make([]*run, 0, total+1)
	var wg sync.WaitGroup
	started := time.Now()
	launch := func(r *run) {
		runs = append(runs, r)
		wg.Add(1)
		go func() {
			defer wg.Done()
			began := time.Now()
			r.res, r.err = drive(ctx, stack, r)
			r.took = time.Since(began)
		}()
	}
	var pile *run
	if pending {
		pile = &run{k: pileCase, fed: make(chan struct{})}
		pile.in = input(t, stack, pile.k, total)
		launch(pile)
	}
	for i := range total {
		k := kases[i%len(kases)]
		r := &run{k: k}
		r.in = input(t, stack, k, i)
		launch(r)
		switch i {
		case total / 3:
			var ref string
			if pile != nil {
				ref = pileRef(ctx, t, stack, pile)
			}
			// The worker dies without warning, mid-run, and comes back.
			require.NoError(t, worker.Process.Signal(syscall.SIGKILL))
			worker.Wait()
			time.Sleep(500 * time.Millisecond)
			if pile != nil {
				// Meanwhile hundreds of events pile up for one process.
				if err := feedPile(ctx, stack, ref, len(pile.in.Signers)); err != nil {
					t.Errorf("pile-up: %v", err)
				}
				close(pile.fed)
			}
			worker = startWorker(t, workerBin, stack, filepath.Join(state, "worker-2.log"), workerEnv...)
			slowOn.Store(true)
		case 2 * total / 3:
			// The Temporal server goes down and comes back on its database.
			require.NoError(t, stack.RestartTemporal(ctx))
		}
		time.Sleep(10 * time.Millisecond)
	}
	wg.Wait()
	elapsed := time.Since(started)
	defer func() { worker.Process.Signal(syscall.SIGTERM); worker.Wait() }()

	// Let redeliveries still in flight settle before counting.
	time.Sleep(2 * time.Second)
	report := check(stack, runs, elapsed)
	if pile != nil {
		if most, err := maxPending(ctx, stack, pile.in.ProcessID, pile.runID); err != nil || most <= 300 {
			report.failures = append(report.failures, fmt.Sprintf("%s: pile-up not achieved: at most %d events pending at a continue-as-new (%v)", pile.in.ProcessID, most, err))
		} else {
			report.pendingAtCAN = most
		}
	}
	verdict := judge(ctx, stack, runs)
	text := report.String() + summary(verdict) + verdict.Lines()
	if path := os.Getenv("FIRMAFLOW_RELIABILITY_REPORT"); path != "" {
		require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	}
	failed := len(report.failures) > 0 || !verdict.OK()
	if failed {
		keepLogs(state)
	}
	// The oracle's verdict is the test's last output; then it passes or fails.
	fmt.Print(report.String() + summary(verdict))
	fmt.Print(verdict.Lines())
	if failed {
		t.Fail()
	}
}

// pileRef waits until the pile-up process knows its provider process and
// its route names it as owner: then the bridge signals the pile straight
// to the process (a route without an owner would hold it and hand it over
// in batches).
func pileRef(ctx context.Context, t *testing.T, stack *devstack.Stack, r *run) string {
	var ref string
	err := waitState(ctx, stack, r.in.ProcessID, boundedWait, func(st signing.State) bool {
		ref = st.ProviderRef
		if st.Status != signing.StatusAwaitingSignatures {
			return false
		}
		d, err := stack.Client.DescribeWorkflowExecution(ctx, routing.RouteWorkflowID(r.k.provider, ref), "")
		return err == nil && d.GetWorkflowExecutionInfo().GetMemo().GetFields()[routing.MemoOwner] != nil
	})
	require.NoError(t, err, "pile-up process never waited for signatures with its route owned")
	return ref
}

func input(t *testing.T, stack *devstack.Stack, k kase, i int) signing.Input {
	id := fmt.Sprintf("fault-%03d-%s", i, processes.NewProcessID())
	doc, err := stack.Store.Put(context.Background(), "inbox/"+id+"/c.pdf", strings.NewReader("%PDF-1.4\n"+id+"\n%%EOF\n"), "application/pdf")
	require.NoError(t, err)
	signers := []signing.Signer{{Name: "Ana", Email: "ana@example.com", Order: 1}, {Name: "Bruno", Email: "bruno@example.com", Order: 2},
		{Name: "Carla", Email: "carla@example.com", Order: 3}}
	n := 2
	if k.signers > 0 {
		n = k.signers
	}
	reconcile := 2 * time.Second
	if k.reconcileEvery > 0 {
		reconcile = k.reconcileEvery
	}
	return signing.Input{
		ProcessID: id, Provider: k.provider, Title: fmt.Sprintf("Fault %d [sim:%s]", i, k.scenario),
		Documents:      []signing.DocumentRef{{Name: "c.pdf", Key: doc.Key, ContentType: "application/pdf"}},
		Signers:        signers[:n],
		Resend:         signing.ResendPolicy{MaxResends: 2, MaxRenewals: 1, Backoff: signing.Duration(300 * time.Millisecond)},
		ReconcileEvery: signing.Duration(reconcile),
	}
}

// drive starts one process, cancels it when its case says so, and waits.
func drive(ctx context.Context, stack *devstack.Stack, r *run) (signing.Result, error) {
	var wr interface {
		Get(context.Context, any) error
	}
	// Start is idempotent: a start retried after the first one landed (a
	// lost answer, the Temporal restart) returns the process, running or ended.
	err := retry(ctx, func() error {
		run, err := processes.Start(ctx, stack.Client, stack.Config.Temporal.TaskQueue, r.in)
		if err != nil {
			return err
		}
		r.runID, wr = run.GetRunID(), run
		return nil
	})
	if err != nil {
		return signing.Result{}, err
	}
	// Faults whose current handling may strand the process get a bounded
	// wait for the result, so the test fails instead of hanging.
	bounded := ctx
	var faultErr error
	switch {
	case r.k.temporalCancel:
		faultErr = cancelFromTemporal(ctx, stack, r)
	case r.k.pile:
		select {
		case <-r.fed:
		case <-ctx.Done():
			return signing.Result{}, ctx.Err()
		}
		faultErr = lastSignerRejects(ctx, stack, r)
	case r.k.lastRejects:
		faultErr = lastSignerRejects(ctx, stack, r)
	}
	if r.k.temporalCancel || r.k.lastRejects {
		var cancel context.CancelFunc
		bounded, cancel = context.WithTimeout(ctx, boundedWait)
		defer cancel()
	}
	if faultErr != nil {
		var res signing.Result
		retry(bounded, func() error { return wr.Get(bounded, &res) })
		return res, fmt.Errorf("%s: %w", r.k.name(), faultErr)
	}
	if r.k.userCancel {
		state := func() (signing.State, error) { return processes.State(ctx, stack.Client, r.in.ProcessID) }
		cancel := func() error {
			_, err := processes.Cancel(ctx, stack.Client, r.in.ProcessID, "fault test")
			return err
		}
		if err := cancelAsUser(ctx, r.in.ProcessID, state, cancel); err != nil {
			return signing.Result{}, fmt.Errorf("cancel: %w", err)
		}
	}
	var res signing.Result
	err = retry(bounded, func() error { return wr.Get(bounded, &res) })
	if err != nil && bounded.Err() != nil && ctx.Err() == nil {
		err = fmt.Errorf("%s: the process did not end within %s (last error: %v)", r.k.name(), boundedWait, err)
	}
	return res, err
}

// retry repeats a client call through the server's restart (and waits
// out activities a killed worker left behind).
func retry(ctx context.Context, f func() error) error {
	var err error
	for range 720 {
		if err = f(); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last: %v)", ctx.Err(), err)
		case <-time.After(250 * time.Millisecond):
		}
	}
	return err
}

type report struct {
	processes, byStatusOK                       int
	doubleResends, doubleCancels, doubleFetches int
	lostEvents, deliveredWebhooks, lateEvents   int
	injectedFailures, refusedWebhooks           int
	pendingAtCAN                                int
	failures                                    []string
	elapsed                                     time.Duration
	slowest                                     []string
}

func (r report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "processes: %d, reached their scenario's final state: %d\n", r.processes, r.byStatusOK)
	if r.pendingAtCAN > 0 {
		fmt.Fprintf(&b, "pile-up: %d events pending at one continue-as-new\n", r.pendingAtCAN)
	}
	fmt.Fprintf(&b, "double resends: %d, double cancels: %d, double fetches: %d\n", r.doubleResends, r.doubleCancels, r.doubleFetches)
	fmt.Fprintf(&b, "webhook events answered 2xx: %d, lost (without effect on the final state): %d, arrived after their process ended: %d\n",
		r.deliveredWebhooks, r.lostEvents, r.lateEvents)
	fmt.Fprintf(&b, "webhook deliveries answered non-2xx (then redelivered): %d\n", r.refusedWebhooks)
	fmt.Fprintf(&b, "elapsed: %s; slowest processes: %s\n", r.elapsed.Round(time.Second), strings.Join(r.slowest, ", "))
	for _, f := range r.failures {
		fmt.Fprintf(&b, "FAIL %s\n", f)
	}
	return b.String()
}

var arqsignTypes = map[int]signing.EventType{
	arqsign.TriggerSent: signing.EventStarted, arqsign.TriggerDeliveryFailed: signing.EventDeliveryFailed,
	arqsign.TriggerSigned: signing.EventSignerSigned, arqsign.TriggerRejected: signing.EventRejected,
	arqsign.TriggerCancelled: signing.EventCancelled, arqsign.TriggerExpired: signing.EventExpired,
	arqsign.TriggerResent: signing.EventResent, arqsign.TriggerCompleted: signing.EventCompleted,
}

var autosignTypes = map[string]signing.EventType{
	"transaction_created": signing.EventCreated, "transaction_started": signing.EventStarted,
	"recipient_submitted": signing.EventSignerSigned, "transaction_rejected": signing.EventRejected,
	"transaction_cancelled": signing.EventCancelled, "transaction_expired": signing.EventExpired,
	"transaction_completed": signing.EventCompleted,
}

var contractualisTypes = map[string]signing.EventType{
	contractualis.EventSigned: signing.EventSignerSigned, contractualis.EventSended: signing.EventSealing,
	contractualis.EventCompleted: signing.EventCompleted, contractualis.EventNoTokens: signing.EventAwaitingTokens,
}

// check holds each process to its scenario's expected end (the oracle then
// holds it to the ledger).
func check(stack *devstack.Stack, runs []*run, elapsed time.Duration) report {
	rep := report{elapsed: elapsed}
	byTime := append([]*run(nil), runs...)
	sort.Slice(byTime, func(i, j int) bool { return byTime[i].took > byTime[j].took })
	for _, r := range byTime[:min(3, len(byTime))] {
		rep.slowest = append(rep.slowest, fmt.Sprintf("%s/%s %s", r.k.provider, r.k.name(), r.took.Round(time.Second)))
	}
	fail := func(r *run, format string, args ...any) {
		rep.failures = append(rep.failures, r.in.ProcessID+" ("+r.k.provider+"/"+r.k.name()+"): "+fmt.Sprintf(format, args...))
	}
	describedPollers := false
	for _, r := range runs {
		rep.processes++
		if r.err != nil {
			fail(r, "no result: %v", r.err)
			continue
		}
		if r.res.Status != r.k.status {
			fail(r, "status %s, want %s (%s)", r.res.Status, r.k.status, r.res.Reason)
			continue
		}
		rep.byStatusOK++
		// Retries only until one process fails them all (a worker that
		// stopped polling would otherwise make every query take 30 s).
		attempts := 3
		if describedPollers {
			attempts = 1
		}
		st, err := queryState(stack, r.in.ProcessID, attempts)
		if err != nil {
			if !describedPollers {
				// Queries need a worker polling the task queue: say who was.
				describedPollers = true
				err = fmt.Errorf("%w (%s)", err, pollersSeen(stack))
			}
			fail(r, "state: %v", err)
			continue
		}
		seen := map[signing.EventType]bool{}
		for _, e := range st.Events {
			seen[e.Type] = true
		}
		var delivered []signing.EventType
		var resends, renewals, cancels, downloads int
		switch r.k.provider {
		case arqsign.Name:
			v, _ := simulated.ArqSIGN(stack).Process(r.res.ProviderRef)
			for _, tr := range v.Webhooks {
				delivered = append(delivered, arqsignTypes[tr])
			}
			resends, renewals, cancels, downloads = v.Counts.Resends, v.Counts.Renewals, v.Counts.Cancels, v.Counts.Downloads
			rep.refusedWebhooks += v.Counts.WebhooksRefused
		case cellosign.Name:
			v, _ := simulated.CelloSign(stack).Process(r.res.ProviderRef)
			for range v.ArchivesDelivered {
				delivered = append(delivered, signing.EventCompleted)
			}
			cancels, downloads = v.Counts.Cancels, v.Counts.Downloads
			rep.refusedWebhooks += v.Counts.WebhooksRefused
		case autosign.Name:
			v, _ := simulated.Autosign(stack).Process(r.res.ProviderRef)
			for _, ev := range v.Webhooks {
				delivered = append(delivered, autosignTypes[ev])
			}
			cancels, downloads = v.Counts.Cancels, v.Counts.Downloads
			rep.refusedWebhooks += v.Counts.WebhooksRefused
		case contractualis.Name:
			v, _ := simulated.Contractualis(stack).Process(r.res.ProviderRef)
			for _, ev := range v.Webhooks {
				delivered = append(delivered, contractualisTypes[ev])
			}
			cancels, downloads = v.Counts.Cancels, v.Counts.Downloads
			rep.refusedWebhooks += v.Counts.WebhooksRefused
			if v.Counts.TokensSpent != 1 {
				fail(r, "tokens spent %d, want 1", v.Counts.TokensSpent)
			}
		}
		for _, typ := range delivered {
			rep.deliveredWebhooks++
			if seen[typ] {
				continue
			}
			// Not in the owner's log: acceptable only when it came after the
			// process had ended (a closed workflow takes no signals), and then
			// the final state must already say what the event says.
			consistent := r.res.Status.Terminal()
			switch typ {
			case signing.EventCompleted:
				consistent = r.res.Status == signing.StatusCompleted
			case signing.EventRejected:
				consistent = r.res.Status == signing.StatusRejected
			case signing.EventCancelled:
				// Or the provider's notice of firmaflow's own withdrawal
				// when it gave up (a limit reached): the echo of the end.
				consistent = r.res.Status == signing.StatusCancelled || (cancels > 0 && r.res.Status.Terminal())
			}
			if !consistent {
				rep.lostEvents++
				fail(r, "event %s answered 2xx but without effect on the final state %s", typ, r.res.Status)
				continue
			}
			rep.lateEvents++
		}
		if resends > r.k.resends {
			rep.doubleResends++
			fail(r, "resends %d, want %d", resends, r.k.resends)
		}
		if renewals > r.k.renewals {
			rep.doubleResends++
			fail(r, "renewals %d, want %d", renewals, r.k.renewals)
		}
		if cancels > r.k.cancels {
			rep.doubleCancels++
			fail(r, "cancels %d, want %d", cancels, r.k.cancels)
		}
		if downloads > r.k.documents {
			rep.doubleFetches++
			fail(r, "downloads %d, want %d", downloads, r.k.documents)
		}
		if len(r.res.Documents) != r.k.documents {
			fail(r, "documents %d, want %d", len(r.res.Documents), r.k.documents)
		}
	}
	return rep
}

func buildWorker(t *testing.T) string {
	root, err := devserver.RepoRoot()
	require.NoError(t, err)
	bin := filepath.Join(t.TempDir(), "worker")
	cmd := exec.Command("go", "build", "-o", bin, "./worker")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	return bin
}

func startWorker(t *testing.T, bin string, stack *devstack.Stack, logPath string, env ...string) *exec.Cmd {
	logFile, err := os.Create(logPath)
	require.NoError(t, err)
	t.Cleanup(func() { logFile.Close() })
	cmd := exec.Command(bin)
	cmd.Env = append(append(os.Environ(), stack.WorkerEnv()...), env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	require.NoError(t, cmd.Start())
	return cmd
}

type mapLookuper map[string]string

func (m mapLookuper) Lookup(k string) (string, bool) { v, ok := m[k]; return v, ok }
