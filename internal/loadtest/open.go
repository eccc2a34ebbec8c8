package loadtest

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/firmaflow/firmaflow/starter/processes"
)

// OpenOptions size the open scenario.
type OpenOptions struct {
	Provider    string
	Processes   int
	Concurrency int
	// Settle is how long the processes are left waiting before memory is
	// read the second time, so that what the sends left behind is
	// collected; 0 reads at once.
	Settle time.Duration
}

// OpenResult is what the open scenario measured.
type OpenResult struct {
	Provider    string
	Processes   int
	Concurrency int
	// Summary's latencies are each process's time from its start to being
	// sent, waiting for signatures and findable by the bridge; PerSecond is
	// processes opened per second.
	Summary
	// Before and After are the metrics pages' readings before the first
	// start and once every process is open (after Settle), page by page.
	Before, After []MemoryReading
}

// Open starts Processes processes that stay open waiting for signatures
// (the simulators play nothing after the send), Concurrency at a time,
// each counted when it is sent and findable, and reads the worker's and
// bridge's memory before and after. The processes are left open: they are
// the load being measured, and a deployment's retention ends them.
func Open(ctx context.Context, env *Env, opts OpenOptions) (OpenResult, error) {
	res := OpenResult{Provider: opts.Provider, Processes: opts.Processes, Concurrency: opts.Concurrency}
	if opts.Processes < 1 || opts.Concurrency < 1 {
		return res, errors.New("loadtest: open needs at least 1 process and concurrency 1")
	}
	run := newRunID()
	doc, err := uploadDocument(ctx, env.Store, run, 4<<10)
	if err != nil {
		return res, err
	}
	res.Before = env.readMemory(ctx)
	t := runConcurrently(ctx, opts.Processes, opts.Concurrency, func(ctx context.Context, i int) error {
		id := fmt.Sprintf("loadtest-%s-open-%d", run, i)
		// "manual": the simulator plays nothing after the send.
		if _, err := processes.Start(ctx, env.Client, env.Config.Temporal.TaskQueue, processInput(id, opts.Provider, "manual", doc)); err != nil {
			return err
		}
		openCtx, cancel := context.WithTimeout(ctx, 10*time.Minute)
		defer cancel()
		// Open once sent and findable: the tool posts no webhooks here, so
		// it need not wait for the simulator's own first one.
		_, err := waitOpen(openCtx, env, id, false)
		return err
	})
	res.Summary = t.summary()
	select {
	case <-ctx.Done():
		return res, ctx.Err()
	case <-time.After(opts.Settle):
	}
	// Read even when some failed to open: the others are still the load.
	res.After = env.readMemory(ctx)
	if err := t.firstError(); err != nil {
		return res, fmt.Errorf("loadtest: open processes (%d of %d failed): %w", t.failed(), opts.Processes, err)
	}
	return res, nil
}

// readMemory reads every metrics page the environment knows. A page served
// by this process (the embedded stack's) is read after a collection, so
// its heap is what is live, not garbage not yet collected.
func (e *Env) readMemory(ctx context.Context) []MemoryReading {
	out := make([]MemoryReading, 0, len(e.metricsPages))
	for _, p := range e.metricsPages {
		if p.inProcess {
			runtime.GC()
		}
		out = append(out, readMemory(ctx, p))
	}
	return out
}
