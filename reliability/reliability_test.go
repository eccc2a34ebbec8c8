// Package reliability is firmaflow's fault-injection test: many signing
// processes across the providers on the real Temporal dev server with the
// real worker binary, while webhooks arrive two or three times and out of
// order (some before their owner is known), the providers' APIs fail 10% of
// calls with 5xx or 429, the worker is killed with SIGKILL and restarted,
// and the Temporal server is restarted once. See docs/reliability.md.
package reliability

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/firmaflow/firmaflow/config"
	"github.com/firmaflow/firmaflow/internal/devserver"
	"github.com/firmaflow/firmaflow/internal/devstack"
	"github.com/firmaflow/firmaflow/providers/arqsign"
	"github.com/firmaflow/firmaflow/providers/autosign"
	"github.com/firmaflow/firmaflow/providers/cellosign"
	"github.com/firmaflow/firmaflow/providers/contractualis"
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
	k   kase
	in  signing.Input
	res signing.Result
	err error
}

func TestFaultInjection(t *testing.T) {
	if testing.Short() {
		t.Skip("fault injection takes a few minutes")
	}
	total := env("FIRMAFLOW_FAULT_PROCESSES", 200)
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))

	workerBin := buildWorker(t)
	state := t.TempDir()
	cfg, err := config.LoadFrom(ctx, mapLookuper{"FIRMAFLOW_DOCSTORE_URL": filepath.Join(state, "documents")})
	require.NoError(t, err)
	stack, err := devstack.Start(ctx, devstack.Options{
		StateDir: state, Config: cfg, NoWorker: true, Logger: log,
		DefaultScenario: arqsignsim.ScenarioSign, SimStepDelay: 5 * time.Millisecond,
		SimFaults: simkit.Faults{APIFailRate: 0.10, Copies: 3, Jitter: 40 * time.Millisecond, Seed: 42},
	})
	require.NoError(t, err)
	defer stack.Close()

	worker := startWorker(t, workerBin, stack, filepath.Join(state, "worker-1.log"))
	runs := make([]*run, total)
	var wg sync.WaitGroup
	started := time.Now()
	for i := range total {
		k := cases[i%len(cases)]
		r := &run{k: k}
		runs[i] = r
		r.in = input(t, stack, k, i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.res, r.err = drive(ctx, stack, r)
		}()
		switch i {
		case total / 3:
			// The worker dies without warning, mid-run, and comes back.
			require.NoError(t, worker.Process.Signal(syscall.SIGKILL))
			worker.Wait()
			time.Sleep(500 * time.Millisecond)
			worker = startWorker(t, workerBin, stack, filepath.Join(state, "worker-2.log"))
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
	report := check(t, stack, runs, elapsed)
	t.Logf("%s", report)
	if path := os.Getenv("FIRMAFLOW_RELIABILITY_REPORT"); path != "" {
		require.NoError(t, os.WriteFile(path, []byte(report.String()), 0o644))
	}
}

func input(t *testing.T, stack *devstack.Stack, k kase, i int) signing.Input {
	id := fmt.Sprintf("fault-%03d-%s", i, processes.NewProcessID())
	doc, err := stack.Store.Put(context.Background(), "inbox/"+id+"/c.pdf", strings.NewReader("%PDF-1.4\n"+id+"\n%%EOF\n"), "application/pdf")
	require.NoError(t, err)
	return signing.Input{
		ProcessID: id, Provider: k.provider, Title: fmt.Sprintf("Fault %d [sim:%s]", i, k.scenario),
		Documents:      []signing.DocumentRef{{Name: "c.pdf", Key: doc.Key, ContentType: "application/pdf"}},
		Signers:        []signing.Signer{{Name: "Ana", Email: "ana@example.com", Order: 1}, {Name: "Bruno", Email: "bruno@example.com", Order: 2}},
		Resend:         signing.ResendPolicy{MaxResends: 2, MaxRenewals: 1, Backoff: signing.Duration(300 * time.Millisecond)},
		ReconcileEvery: signing.Duration(2 * time.Second),
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
		wr = run
		return err
	})
	if err != nil {
		return signing.Result{}, err
	}
	if r.k.userCancel {
		err := retry(ctx, func() error {
			st, err := processes.State(ctx, stack.Client, r.in.ProcessID)
			if err != nil {
				return err
			}
			if st.Status != signing.StatusAwaitingSignatures {
				return fmt.Errorf("status %s", st.Status)
			}
			_, err = processes.Cancel(ctx, stack.Client, r.in.ProcessID, "fault test")
			return err
		})
		if err != nil {
			return signing.Result{}, fmt.Errorf("cancel: %w", err)
		}
	}
	var res signing.Result
	err = retry(ctx, func() error { return wr.Get(ctx, &res) })
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
	failures                                    []string
	elapsed                                     time.Duration
}

func (r report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "processes: %d, reached their scenario's final state: %d\n", r.processes, r.byStatusOK)
	fmt.Fprintf(&b, "double resends: %d, double cancels: %d, double fetches: %d\n", r.doubleResends, r.doubleCancels, r.doubleFetches)
	fmt.Fprintf(&b, "webhook events answered 2xx: %d, lost (without effect on the final state): %d, arrived after their process ended: %d\n",
		r.deliveredWebhooks, r.lostEvents, r.lateEvents)
	fmt.Fprintf(&b, "webhook deliveries answered non-2xx (then redelivered): %d\n", r.refusedWebhooks)
	fmt.Fprintf(&b, "elapsed: %s\n", r.elapsed.Round(time.Second))
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

func check(t *testing.T, stack *devstack.Stack, runs []*run, elapsed time.Duration) report {
	rep := report{elapsed: elapsed}
	fail := func(r *run, format string, args ...any) {
		rep.failures = append(rep.failures, r.in.ProcessID+" ("+r.k.provider+"/"+r.k.scenario+"): "+fmt.Sprintf(format, args...))
	}
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
		st, err := processes.State(context.Background(), stack.Client, r.in.ProcessID)
		if err != nil {
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
			v, _ := stack.ArqSIGN.Process(r.res.ProviderRef)
			for _, tr := range v.Webhooks {
				delivered = append(delivered, arqsignTypes[tr])
			}
			resends, renewals, cancels, downloads = v.Counts.Resends, v.Counts.Renewals, v.Counts.Cancels, v.Counts.Downloads
			rep.refusedWebhooks += v.Counts.WebhooksRefused
		case cellosign.Name:
			v, _ := stack.CelloSign.Process(r.res.ProviderRef)
			for range v.ArchivesDelivered {
				delivered = append(delivered, signing.EventCompleted)
			}
			cancels, downloads = v.Counts.Cancels, v.Counts.Downloads
			rep.refusedWebhooks += v.Counts.WebhooksRefused
		case autosign.Name:
			v, _ := stack.Autosign.Process(r.res.ProviderRef)
			for _, ev := range v.Webhooks {
				delivered = append(delivered, autosignTypes[ev])
			}
			cancels, downloads = v.Counts.Cancels, v.Counts.Downloads
			rep.refusedWebhooks += v.Counts.WebhooksRefused
		case contractualis.Name:
			v, _ := stack.Contractualis.Process(r.res.ProviderRef)
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
				consistent = r.res.Status == signing.StatusCancelled
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
	require.Empty(t, rep.failures, "%s", rep)
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

func startWorker(t *testing.T, bin string, stack *devstack.Stack, logPath string) *exec.Cmd {
	logFile, err := os.Create(logPath)
	require.NoError(t, err)
	t.Cleanup(func() { logFile.Close() })
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), stack.WorkerEnv()...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	require.NoError(t, cmd.Start())
	return cmd
}

type mapLookuper map[string]string

func (m mapLookuper) Lookup(k string) (string, bool) { v, ok := m[k]; return v, ok }
