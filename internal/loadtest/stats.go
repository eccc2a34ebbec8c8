package loadtest

import (
	"context"
	"math"
	"slices"
	"sync"
	"time"
)

// Percentile is the p-th percentile (0 < p <= 100) of sorted by the
// nearest-rank method: the smallest value at least p% of the values are at
// or below. It is a value that was measured, never an interpolation.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// Summary describes one timed phase.
type Summary struct {
	// Count is the operations that succeeded; Failed those that did not.
	Count, Failed int
	Elapsed       time.Duration
	// PerSecond is successful operations per second of wall time.
	PerSecond     float64
	P50, P99, Max time.Duration

	latencies []time.Duration // sorted; pooled over rounds
}

// Summarize computes a phase's figures from the successful operations'
// latencies and the phase's wall time.
func Summarize(latencies []time.Duration, failed int, elapsed time.Duration) Summary {
	sorted := slices.Clone(latencies)
	slices.Sort(sorted)
	s := Summary{Count: len(sorted), Failed: failed, Elapsed: elapsed, latencies: sorted}
	if elapsed > 0 {
		s.PerSecond = float64(len(sorted)) / elapsed.Seconds()
	}
	if len(sorted) > 0 {
		s.P50, s.P99, s.Max = Percentile(sorted, 50), Percentile(sorted, 99), sorted[len(sorted)-1]
	}
	return s
}

// Mean is the mean latency of the successful operations.
func (s Summary) Mean() time.Duration {
	if len(s.latencies) == 0 {
		return 0
	}
	var sum time.Duration
	for _, l := range s.latencies {
		sum += l
	}
	return sum / time.Duration(len(s.latencies))
}

// timed is the outcome of running n operations at a concurrency.
type timed struct {
	latencies []time.Duration // of the operations that succeeded
	errs      []error         // by operation index; nil for a success
	elapsed   time.Duration
}

func (t timed) failed() int {
	n := 0
	for _, err := range t.errs {
		if err != nil {
			n++
		}
	}
	return n
}

func (t timed) firstError() error {
	for _, err := range t.errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func (t timed) summary() Summary { return Summarize(t.latencies, t.failed(), t.elapsed) }

// runConcurrently runs op(0..n-1) on `concurrency` goroutines, each taking
// the next index as it finishes the last, and times every operation and
// the whole.
func runConcurrently(ctx context.Context, n, concurrency int, op func(ctx context.Context, i int) error) timed {
	concurrency = min(max(concurrency, 1), max(n, 1))
	next := make(chan int)
	lat := make([]time.Duration, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := time.Now()
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				t0 := time.Now()
				errs[i] = op(ctx, i)
				lat[i] = time.Since(t0)
			}
		}()
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			for j := i; j < n; j++ {
				errs[j] = ctx.Err()
			}
			break feed
		}
	}
	close(next)
	wg.Wait()
	out := timed{errs: errs, elapsed: time.Since(start)}
	for i, err := range errs {
		if err == nil {
			out.latencies = append(out.latencies, lat[i])
		}
	}
	return out
}
