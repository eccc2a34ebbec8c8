package loadtest

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
)

func ms2d(v ...int) []time.Duration {
	out := make([]time.Duration, len(v))
	for i, n := range v {
		out[i] = time.Duration(n) * time.Millisecond
	}
	return out
}

func TestPercentileIsNearestRank(t *testing.T) {
	sorted := ms2d(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
	for _, c := range []struct {
		p    float64
		want int
	}{{50, 5}, {90, 9}, {99, 10}, {100, 10}, {1, 1}, {0, 1}, {51, 6}} {
		require.Equal(t, time.Duration(c.want)*time.Millisecond, Percentile(sorted, c.p), "p%v", c.p)
	}
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	require.Equal(t, 99*time.Millisecond, Percentile(hundred, 99), "p99 of 1..100 ms is the 99th value, not the largest")
	require.Equal(t, 50*time.Millisecond, Percentile(hundred, 50))
	require.Zero(t, Percentile(nil, 99))
	require.Equal(t, 7*time.Millisecond, Percentile(ms2d(7), 99))
}

func TestSummarizeSortsAndCountsOnlySuccesses(t *testing.T) {
	s := Summarize(ms2d(30, 10, 20, 40), 2, 2*time.Second)
	require.Equal(t, 4, s.Count)
	require.Equal(t, 2, s.Failed)
	require.InDelta(t, 2.0, s.PerSecond, 1e-9, "4 successes in 2 s")
	require.Equal(t, 20*time.Millisecond, s.P50)
	require.Equal(t, 40*time.Millisecond, s.P99)
	require.Equal(t, 40*time.Millisecond, s.Max)
	require.Zero(t, Summarize(nil, 0, 0).PerSecond)
}

func TestRunConcurrentlyBoundsInFlightAndRecordsErrors(t *testing.T) {
	var inFlight, peak atomic.Int32
	boom := errors.New("boom")
	got := runConcurrently(context.Background(), 40, 4, func(_ context.Context, i int) error {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(2 * time.Millisecond)
		inFlight.Add(-1)
		if i%10 == 0 {
			return boom
		}
		return nil
	})
	require.LessOrEqual(t, peak.Load(), int32(4))
	require.Greater(t, peak.Load(), int32(1), "operations overlapped")
	require.Equal(t, 4, got.failed())
	require.Len(t, got.latencies, 36)
	require.ErrorIs(t, got.firstError(), boom)
	require.Equal(t, 36, got.summary().Count)
}

func TestRunConcurrentlyStopsFeedingOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var ran atomic.Int32
	got := runConcurrently(ctx, 100, 1, func(context.Context, int) error {
		if ran.Add(1) == 3 {
			cancel()
		}
		return nil
	})
	require.Less(t, int(ran.Load()), 100)
	require.ErrorIs(t, got.firstError(), context.Canceled)
	require.Equal(t, 100, got.failed()+len(got.latencies))
}

// A call's own deadline running out is slow, not failed; other errors fail.
func TestTimedOutTellsACallsDeadline(t *testing.T) {
	require.True(t, timedOut(fmt.Errorf("query process p: %w", context.DeadlineExceeded)))
	require.True(t, timedOut(fmt.Errorf("query process p: %w", serviceerror.NewDeadlineExceeded("context deadline exceeded"))))
	require.False(t, timedOut(fmt.Errorf("query process p: %w", serviceerror.NewNotFound("no such workflow"))))
	require.False(t, timedOut(errors.New("loadtest: process p ended while opening: failed")))
}
