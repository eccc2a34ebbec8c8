package loadtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/firmaflow/firmaflow/internal/callcount"
	"github.com/firmaflow/firmaflow/signing"
	"github.com/firmaflow/firmaflow/starter/processes"
)

// IngestOptions size the ingest scenario.
type IngestOptions struct {
	Provider    string
	Processes   int
	Events      int
	Concurrency int
}

// IngestResult is what the ingest scenario measured.
type IngestResult struct {
	Provider    string
	Processes   int
	Concurrency int
	// Bridge: the events as webhooks through the bridge; Raw: the same
	// number of equivalent events as SignalWorkflow calls to the same
	// workflows.
	Bridge, Raw IngestPhase
	ProcessIDs  []string
	// BridgeKeys and RawKeys are the dedup keys of each phase's events, by
	// workflow id.
	BridgeKeys, RawKeys map[string][]string
}

// IngestPhase is one way of handing the events to the workflows.
type IngestPhase struct {
	Summary
	// Delivered is how many of the phase's events the workflows' histories hold.
	Delivered int
	// Calls are the Temporal calls made for the phase (nil: not counted).
	Calls callcount.Calls
	// Webhooks is what the bridge received (-1: not counted); bridge phase only.
	Webhooks int64
	// Statuses counts the bridge's HTTP answers by code; bridge phase only.
	Statuses map[int]int
}

// Ratio is the bridge's throughput as a share of raw signalling's.
func (r IngestResult) Ratio() float64 { return ratio(r.Bridge.PerSecond, r.Raw.PerSecond) }

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func (o IngestOptions) check() error {
	if o.Processes < 1 || o.Events < 1 || o.Concurrency < 1 {
		return errors.New("loadtest: ingest needs at least 1 process, 1 event and concurrency 1")
	}
	return nil
}

// Ingest opens Processes processes that stay open (the simulators play
// nothing after the send), posts Events webhooks spread evenly over them
// through the bridge at Concurrency, then sends as many equivalent events
// as raw SignalWorkflow calls to the same workflows at the same
// concurrency, and checks both sets in the workflows' histories.
func Ingest(ctx context.Context, env *Env, opts IngestOptions) (IngestResult, error) {
	if err := opts.check(); err != nil {
		return IngestResult{}, err
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

	// Everything is written (and the raw events parsed) before the clock
	// starts, so neither phase pays for the tool's own work.
	k := opts.Events
	hooks := make([]webhookRequest, k)
	raw := make([]signing.Event, k)
	bridgeKeys, rawKeys := map[string][]string{}, map[string][]string{}
	for i := range k {
		p := i % len(ids)
		wf := signing.WorkflowID(ids[p])
		if hooks[i], err = writer.request(ids[p], refs[p], i); err != nil {
			return res, err
		}
		ev, err := writer.event(ctx, ids[p], refs[p], i)
		if err != nil {
			return res, err
		}
		bridgeKeys[wf] = append(bridgeKeys[wf], ev.Key)
		if raw[i], err = writer.event(ctx, ids[p], refs[p], k+i); err != nil {
			return res, err
		}
		rawKeys[wf] = append(rawKeys[wf], raw[i].Key)
	}

	httpClient := &http.Client{Timeout: time.Minute, Transport: &http.Transport{
		MaxIdleConns: opts.Concurrency, MaxIdleConnsPerHost: opts.Concurrency, IdleConnTimeout: time.Minute,
	}}
	defer httpClient.CloseIdleConnections()
	signal := func(ctx context.Context, i int, ev signing.Event) error {
		return env.Raw.SignalWorkflow(ctx, signing.WorkflowID(ids[i%len(ids)]), "", signing.SignalEvent, ev)
	}
	// Untimed warm-up, one request per connection each way, so that
	// neither phase pays for opening connections. Its events are not
	// among those checked.
	warm := make([]webhookRequest, opts.Concurrency)
	warmRaw := make([]signing.Event, opts.Concurrency)
	for j := range warm {
		if warm[j], err = writer.request(ids[j%len(ids)], refs[j%len(refs)], 2*k+j); err != nil {
			return res, err
		}
		if warmRaw[j], err = writer.event(ctx, ids[j%len(ids)], refs[j%len(refs)], 2*k+len(warm)+j); err != nil {
			return res, err
		}
	}
	if p := postWebhooks(ctx, env, httpClient, warm, opts.Concurrency); p.Failed > 0 {
		return res, fmt.Errorf("loadtest: %d of %d warm-up webhooks failed (answers %s)", p.Failed, len(warm), statusList(p.Statuses))
	}
	if t := runConcurrently(ctx, len(warmRaw), opts.Concurrency, func(ctx context.Context, j int) error {
		return signal(ctx, j, warmRaw[j])
	}); t.failed() > 0 {
		return res, fmt.Errorf("loadtest: warm-up signals failed: %w", t.firstError())
	}

	res.Bridge = postWebhooks(ctx, env, httpClient, hooks, opts.Concurrency)
	before := env.RawCalls.Snapshot()
	t := runConcurrently(ctx, k, opts.Concurrency, func(ctx context.Context, i int) error { return signal(ctx, i, raw[i]) })
	res.Raw = IngestPhase{Summary: t.summary(), Calls: env.RawCalls.Snapshot().Since(before), Webhooks: -1}
	if err := t.firstError(); err != nil {
		env.Log.Warn("raw signal failed", "failed", t.failed(), "first_error", err)
	}

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
func postWebhooks(ctx context.Context, env *Env, httpClient *http.Client, hooks []webhookRequest, concurrency int) IngestPhase {
	var mu sync.Mutex
	statuses := map[int]int{}
	calls, webhooks := env.BridgeCalls.Snapshot(), env.Webhooks.Count()
	t := runConcurrently(ctx, len(hooks), concurrency, func(ctx context.Context, i int) error {
		h := hooks[i]
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, env.BridgeURL+h.path, bytes.NewReader(h.body))
		if err != nil {
			return err
		}
		req.Header = h.header.Clone()
		resp, err := httpClient.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		mu.Lock()
		statuses[resp.StatusCode]++
		mu.Unlock()
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("bridge answered %d", resp.StatusCode)
		}
		return nil
	})
	phase := IngestPhase{Summary: t.summary(), Calls: env.BridgeCalls.Snapshot().Since(calls), Webhooks: -1, Statuses: statuses}
	if webhooks >= 0 {
		phase.Webhooks = env.Webhooks.Count() - webhooks
	}
	if err := t.firstError(); err != nil {
		env.Log.Warn("webhooks not accepted", "failed", t.failed(), "first_error", err)
	}
	return phase
}
