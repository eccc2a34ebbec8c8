package loadtest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/firmaflow/firmaflow/internal/callcount"
	"github.com/firmaflow/firmaflow/signing"
	"github.com/firmaflow/firmaflow/starter/processes"
)

// IngestOptions size the ingest scenario.
type IngestOptions struct {
	Provider  string
	Processes int
	// Events go through the bridge, and as many as raw signals, in each
	// round.
	Events      int
	Concurrency int
	// Rounds alternate the two phases' order (ABBA); 0 is DefaultRounds.
	Rounds int
	// phaseStarts, when set (tests), is called as each timed phase is
	// about to start, with "bridge" or "raw" and the processes' ids.
	phaseStarts func(phase string, processIDs []string)
}

// IngestResult is what the ingest scenario measured.
type IngestResult struct {
	Provider    string
	Processes   int
	Concurrency int
	// Rounds are each round's two phases, in the order run.
	Rounds []IngestRound
	// Bridge: the events as webhooks through the bridge; Raw: the same
	// number of equivalent events as SignalWorkflow calls to the same
	// workflows. Each is pooled over the rounds (see pool): PerSecond is
	// the median round's, the percentiles are over every event.
	Bridge, Raw IngestPhase
	ProcessIDs  []string
	// BridgeKeys and RawKeys are the dedup keys of each phase's events, by
	// workflow id, over all rounds.
	BridgeKeys, RawKeys map[string][]string
}

// IngestRound is one round: both phases, BridgeFirst saying which ran first.
type IngestRound struct {
	BridgeFirst bool
	Bridge, Raw IngestPhase
}

// Ratio is the round's bridge throughput as a share of raw signalling's.
func (r IngestRound) Ratio() float64 { return ratio(r.Bridge.PerSecond, r.Raw.PerSecond) }

// IngestPhase is one way of handing the events to the workflows.
type IngestPhase struct {
	Summary
	// Delivered is how many of the phase's events the workflows' histories
	// hold (pooled phases only).
	Delivered int
	// Calls are the Temporal calls made for the phase (nil: not counted).
	Calls callcount.Calls
	// Webhooks is what the bridge received (-1: not counted); bridge phase only.
	Webhooks int64
	// Statuses counts the bridge's HTTP answers by code; bridge phase only.
	Statuses map[int]int
	// CallTime is the time the phase's Temporal calls took, summed over
	// events (-1: not measured): the bridge's own calls, or the raw ones.
	CallTime time.Duration
	// BridgeTime is the time the bridge's handler took, summed over
	// webhooks, its Temporal calls included (-1: not measured; raw phase).
	BridgeTime time.Duration
}

// Split is where the phase's mean event time goes: the round trip the
// sender saw, the part the bridge's handler took (-1 when not measured or
// raw) and the part its Temporal calls took (-1 when not measured).
func (p IngestPhase) Split() (roundTrip, bridge, calls time.Duration) {
	n := time.Duration(p.Count + p.Failed)
	if n == 0 {
		return 0, -1, -1
	}
	roundTrip, bridge, calls = p.Mean(), -1, -1
	if p.BridgeTime >= 0 {
		bridge = p.BridgeTime / n
	}
	if p.CallTime >= 0 {
		calls = p.CallTime / n
	}
	return roundTrip, bridge, calls
}

// Ratio is the median of the rounds' ratios of bridge to raw throughput
// (with no rounds, that of the pooled figures).
func (r IngestResult) Ratio() float64 {
	return medianRatio(r.Rounds, ratio(r.Bridge.PerSecond, r.Raw.PerSecond))
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func (o IngestOptions) check() error {
	if o.Processes < 1 || o.Events < 1 || o.Concurrency < 1 || o.Rounds < 0 {
		return errors.New("loadtest: ingest needs at least 1 process, 1 event, concurrency 1 and no negative rounds")
	}
	return nil
}

// poolIngest sums the rounds' phases into one per side.
func poolIngest(phases []IngestPhase) IngestPhase {
	out := IngestPhase{Webhooks: -1, CallTime: -1, BridgeTime: -1}
	summaries := make([]Summary, len(phases))
	for i, p := range phases {
		summaries[i] = p.Summary
		out.Calls = addCalls(out.Calls, p.Calls)
		out.CallTime = addMeasured(out.CallTime, p.CallTime)
		out.BridgeTime = addMeasured(out.BridgeTime, p.BridgeTime)
		if p.Webhooks >= 0 {
			out.Webhooks = max(out.Webhooks, 0) + p.Webhooks
		}
		if p.Statuses != nil {
			if out.Statuses == nil {
				out.Statuses = map[int]int{}
			}
			for code, n := range p.Statuses {
				out.Statuses[code] += n
			}
		}
	}
	out.Summary = pool(summaries)
	return out
}

// addMeasured adds a measured time (at least 0) to a sum that is -1 until
// something measured is added.
func addMeasured(sum, t time.Duration) time.Duration {
	if t < 0 {
		return sum
	}
	return max(sum, 0) + t
}

// ingestBatch is one round's events, written (and the raw ones parsed)
// before the clock starts, so that neither phase pays for the tool's own
// work.
type ingestBatch struct {
	hooks []serializedRequest
	raw   []signing.Event
}

// Ingest opens Processes processes that stay open (the simulators play
// nothing after the send). In each of Rounds rounds it posts Events
// webhooks spread evenly over them through the bridge at Concurrency, and
// sends as many equivalent events as raw SignalWorkflow calls to the same
// workflows at the same concurrency, the bridge first in even rounds and
// second in odd ones. Each phase starts once the processes have handled
// every event sent before it (settle). Last it checks every event in the
// workflows' histories.
func Ingest(ctx context.Context, env *Env, opts IngestOptions) (IngestResult, error) {
	if err := opts.check(); err != nil {
		return IngestResult{}, err
	}
	if opts.Rounds == 0 {
		opts.Rounds = DefaultRounds
	}
	run := newRunID()
	res := IngestResult{Provider: opts.Provider, Processes: opts.Processes, Concurrency: opts.Concurrency}
	writer, err := newWebhookWriter(opts.Provider, env.Secrets[opts.Provider], run, env.Providers)
	if err != nil {
		return res, err
	}
	doc, err := uploadDocument(ctx, env.Store, run, 4<<10)
	if err != nil {
		return res, err
	}
	ids, refs, err := openProcesses(ctx, env, opts, run, doc)
	if err != nil {
		return res, err
	}
	res.ProcessIDs = ids

	// Event numbers: round r's webhooks are r*2k..r*2k+k-1, its raw events
	// the next k; the warm-up's come after every round's.
	k := opts.Events
	bridgeKeys, rawKeys := map[string][]string{}, map[string][]string{}
	batches := make([]ingestBatch, opts.Rounds)
	for r := range batches {
		b := ingestBatch{hooks: make([]serializedRequest, k), raw: make([]signing.Event, k)}
		for i := range k {
			p := i % len(ids)
			wf := signing.WorkflowID(ids[p])
			n := r*2*k + i
			if b.hooks[i], err = writer.wire(env.BridgeURL, ids[p], refs[p], n); err != nil {
				return res, err
			}
			ev, err := writer.event(ctx, ids[p], refs[p], n)
			if err != nil {
				return res, err
			}
			bridgeKeys[wf] = append(bridgeKeys[wf], ev.Key)
			if b.raw[i], err = writer.event(ctx, ids[p], refs[p], n+k); err != nil {
				return res, err
			}
			rawKeys[wf] = append(rawKeys[wf], b.raw[i].Key)
		}
		batches[r] = b
	}

	poster, err := newWebhookPoster(env.BridgeURL, opts.Concurrency, time.Minute)
	if err != nil {
		return res, err
	}
	defer poster.Close()
	signal := func(ctx context.Context, i int, ev signing.Event) error {
		return env.Raw.SignalWorkflow(ctx, signing.WorkflowID(ids[i%len(ids)]), "", signing.SignalEvent, ev)
	}
	// Untimed warm-up, one request per connection each way, so that
	// neither phase pays for opening connections. Its events are not
	// among those checked.
	warmFrom := opts.Rounds * 2 * k
	warm := make([]serializedRequest, opts.Concurrency)
	warmRaw := make([]signing.Event, opts.Concurrency)
	for j := range warm {
		if warm[j], err = writer.wire(env.BridgeURL, ids[j%len(ids)], refs[j%len(refs)], warmFrom+j); err != nil {
			return res, err
		}
		if warmRaw[j], err = writer.event(ctx, ids[j%len(ids)], refs[j%len(refs)], warmFrom+len(warm)+j); err != nil {
			return res, err
		}
	}
	if p := postWebhooks(ctx, env, poster, warm, opts.Concurrency); p.Failed > 0 {
		return res, fmt.Errorf("loadtest: %d of %d warm-up webhooks failed (answers %s)", p.Failed, len(warm), statusList(p.Statuses))
	}
	if t := runConcurrently(ctx, len(warmRaw), opts.Concurrency, func(ctx context.Context, j int) error {
		return signal(ctx, j, warmRaw[j])
	}); t.failed() > 0 {
		return res, fmt.Errorf("loadtest: warm-up signals failed: %w", t.firstError())
	}

	var bridgePhases, rawPhases []IngestPhase
	var settleErr error
	// start readies a phase: the worker idle, as the other phase found it.
	start := func(phase string) bool {
		if settleErr == nil {
			settleErr = settle(ctx, env, ids, opts.Concurrency)
		}
		if settleErr == nil && opts.phaseStarts != nil {
			opts.phaseStarts(phase, ids)
		}
		return settleErr == nil
	}
	for r, b := range batches {
		round := IngestRound{BridgeFirst: firmaflowFirst(r)}
		bridge := func() {
			if start("bridge") {
				round.Bridge = postWebhooks(ctx, env, poster, b.hooks, opts.Concurrency)
			}
		}
		raw := func() {
			if !start("raw") {
				return
			}
			before, spent := env.RawCalls.Snapshot(), env.RawCalls.Spent()
			t := runConcurrently(ctx, k, opts.Concurrency, func(ctx context.Context, i int) error { return signal(ctx, i, b.raw[i]) })
			round.Raw = IngestPhase{Summary: t.summary(), Calls: env.RawCalls.Snapshot().Since(before), Webhooks: -1,
				CallTime: measured(env.RawCalls.Spent().Since(spent)), BridgeTime: -1}
			if err := t.firstError(); err != nil {
				env.Log.Warn("raw signal failed", "round", r, "failed", t.failed(), "first_error", err)
			}
		}
		inOrder(round.BridgeFirst, bridge, raw)
		if settleErr != nil {
			return res, settleErr
		}
		res.Rounds = append(res.Rounds, round)
		bridgePhases, rawPhases = append(bridgePhases, round.Bridge), append(rawPhases, round.Raw)
	}
	res.Bridge, res.Raw = poolIngest(bridgePhases), poolIngest(rawPhases)

	workflowIDs := make([]string, len(ids))
	for i, id := range ids {
		workflowIDs[i] = signing.WorkflowID(id)
	}
	found, err := countDelivered(ctx, env.Client, opts.Concurrency, workflowIDs, bridgeKeys, rawKeys)
	if err != nil {
		return res, err
	}
	res.Bridge.Delivered, res.Raw.Delivered = found[0], found[1]
	res.BridgeKeys, res.RawKeys = bridgeKeys, rawKeys
	return res, nil
}

// measured is the total of times measured, -1 if they were not.
func measured(d callcount.Durations) time.Duration {
	if d == nil {
		return -1
	}
	return d.Total()
}

// settle waits until every process has handled every event sent to it so
// far: a query is answered only once its workflow has no workflow task
// pending. Without it, a phase would start while the worker still handles
// the last one's events, and pay for them: the faster phase, leaving the
// longer backlog, slowed whichever came after it.
func settle(ctx context.Context, env *Env, ids []string, concurrency int) error {
	t := runConcurrently(ctx, len(ids), concurrency, func(ctx context.Context, i int) error {
		for {
			_, err := processes.State(ctx, env.Client, ids[i])
			if err == nil || ctx.Err() != nil || !timedOut(err) {
				return err
			}
			// One query's time ran out behind a long backlog of workflow
			// tasks: the worker is slow, not failed; ask again.
		}
	})
	if err := t.firstError(); err != nil {
		return fmt.Errorf("loadtest: wait for the processes to handle their events: %w", err)
	}
	return nil
}

// inOrder runs a then b, or b then a.
func inOrder(aFirst bool, a, b func()) {
	if aFirst {
		a()
		b()
		return
	}
	b()
	a()
}

// openProcesses starts the run's processes and waits until each is open
// and findable; it returns their process ids and provider refs.
func openProcesses(ctx context.Context, env *Env, opts IngestOptions, run string, doc signing.DocumentRef) ([]string, []string, error) {
	ids := make([]string, opts.Processes)
	refs := make([]string, opts.Processes)
	t := runConcurrently(ctx, opts.Processes, opts.Concurrency, func(ctx context.Context, i int) error {
		ids[i] = fmt.Sprintf("loadtest-%s-ingest-%d", run, i)
		// "manual": the simulator plays nothing after the send, so the
		// process stays open whatever the load tool posts.
		in := processInput(ids[i], opts.Provider, "manual", doc)
		if _, err := processes.Start(ctx, env.Client, env.Config.Temporal.TaskQueue, in); err != nil {
			return err
		}
		openCtx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		defer cancel()
		var err error
		refs[i], err = waitOpen(openCtx, env, ids[i], env.Simulated)
		return err
	})
	if err := t.firstError(); err != nil {
		return nil, nil, fmt.Errorf("loadtest: open processes (%d of %d failed): %w", t.failed(), opts.Processes, err)
	}
	return ids, refs, nil
}

// postWebhooks posts the webhooks to the bridge at the concurrency; a
// request counts as done when the bridge answered 2xx.
func postWebhooks(ctx context.Context, env *Env, poster *webhookPoster, hooks []serializedRequest, concurrency int) IngestPhase {
	var mu sync.Mutex
	statuses := map[int]int{}
	calls, spent, webhooks, busy := env.BridgeCalls.Snapshot(), env.BridgeCalls.Spent(), env.Webhooks.Count(), env.Webhooks.Busy()
	t := runConcurrently(ctx, len(hooks), concurrency, func(ctx context.Context, i int) error {
		status, err := poster.post(ctx, hooks[i])
		if err != nil {
			return err
		}
		mu.Lock()
		statuses[status]++
		mu.Unlock()
		if status/100 != 2 {
			return fmt.Errorf("bridge answered %d", status)
		}
		return nil
	})
	phase := IngestPhase{Summary: t.summary(), Calls: env.BridgeCalls.Snapshot().Since(calls), Webhooks: -1, Statuses: statuses,
		CallTime: measured(env.BridgeCalls.Spent().Since(spent)), BridgeTime: -1}
	if webhooks >= 0 {
		phase.Webhooks = env.Webhooks.Count() - webhooks
		phase.BridgeTime = env.Webhooks.Busy() - busy
	}
	if err := t.firstError(); err != nil {
		env.Log.Warn("webhooks not accepted", "failed", t.failed(), "first_error", err)
	}
	if n, idle := poster.takeResent(); n > 0 {
		env.Log.Warn("webhooks sent again on new connections: the bridge had closed kept-alive ones", "resent", n, "longest_idle", idle.Round(time.Millisecond))
	}
	return phase
}
