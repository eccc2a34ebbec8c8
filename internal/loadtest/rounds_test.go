package loadtest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/firmaflow/firmaflow/internal/callcount"
)

func TestRoundsAlternateABBA(t *testing.T) {
	var seq []string
	for r := range 4 {
		inOrder(firmaflowFirst(r), func() { seq = append(seq, "A") }, func() { seq = append(seq, "B") })
	}
	require.Equal(t, []string{"A", "B", "B", "A", "A", "B", "B", "A"}, seq)
	first := 0
	for r := range 6 {
		if firmaflowFirst(r) {
			first++
		}
	}
	require.Equal(t, 3, first, "over an even number of rounds each side is first half the time")
}

func TestMedian(t *testing.T) {
	require.Equal(t, 0.0, median(nil))
	require.Equal(t, 0.8, median([]float64{0.8}))
	require.Equal(t, 0.9, median([]float64{1.2, 0.7, 0.9}), "odd: the middle value, whatever the order")
	require.InDelta(t, 0.85, median([]float64{1.2, 0.7, 0.9, 0.8}), 1e-12, "even: the mean of the two middle values")
	xs := []float64{3, 1, 2}
	median(xs)
	require.Equal(t, []float64{3, 1, 2}, xs, "the input is not reordered")
}

func TestPoolTakesTheMedianRateAndPercentilesOverEveryOperation(t *testing.T) {
	slow := Summarize(ms2d(100, 100, 100, 100), 1, 4*time.Second)                 // 1/s
	mid := Summarize(ms2d(1, 2, 3, 4, 5, 6, 7, 8), 0, 4*time.Second)              // 2/s
	fast := Summarize(ms2d(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1), 2, 4*time.Second) // 3/s
	p := pool([]Summary{fast, slow, mid})
	require.Equal(t, 24, p.Count)
	require.Equal(t, 3, p.Failed)
	require.Equal(t, 12*time.Second, p.Elapsed)
	require.Equal(t, 2.0, p.PerSecond, "the median round's rate, not 24/12 s")
	require.Equal(t, 100*time.Millisecond, p.Max)
	require.Equal(t, 100*time.Millisecond, p.P99, "the slow round's latencies count")
	require.Equal(t, 1*time.Millisecond, p.P50)
}

func TestRatioIsTheMedianOfTheRounds(t *testing.T) {
	round := func(bridge, raw float64) IngestRound {
		return IngestRound{Bridge: IngestPhase{Summary: Summary{PerSecond: bridge}}, Raw: IngestPhase{Summary: Summary{PerSecond: raw}}}
	}
	r := IngestResult{Rounds: []IngestRound{round(100, 200), round(300, 200), round(90, 100)},
		Bridge: IngestPhase{Summary: Summary{PerSecond: 1}}, Raw: IngestPhase{Summary: Summary{PerSecond: 1}}}
	require.InDelta(t, 0.9, r.Ratio(), 1e-12, "ratios 0.5, 1.5, 0.9")
	require.InDelta(t, 1.0, IngestResult{Bridge: r.Bridge, Raw: r.Raw}.Ratio(), 1e-12, "no rounds: the pooled figures")

	life := func(ours, bare float64) LifecycleRound {
		return LifecycleRound{Firmaflow: LifecyclePhase{Summary: Summary{PerSecond: ours}}, Bare: LifecyclePhase{Summary: Summary{PerSecond: bare}}}
	}
	l := LifecycleResult{Rounds: []LifecycleRound{life(7, 10), life(6, 10)}}
	require.InDelta(t, 0.65, l.Ratio(), 1e-12)
}

func TestPoolIngestAddsCallsWebhooksAndAnswers(t *testing.T) {
	a := IngestPhase{Summary: Summarize(ms2d(1, 2), 0, time.Second), Calls: callcount.Calls{"SignalWorkflowExecution": 2},
		Webhooks: 2, Statuses: map[int]int{200: 2}}
	b := IngestPhase{Summary: Summarize(ms2d(3), 1, time.Second), Calls: callcount.Calls{"SignalWorkflowExecution": 1, "DescribeWorkflowExecution": 1},
		Webhooks: 2, Statuses: map[int]int{200: 1, 503: 1}}
	p := poolIngest([]IngestPhase{a, b})
	require.Equal(t, callcount.Calls{"SignalWorkflowExecution": 3, "DescribeWorkflowExecution": 1}, p.Calls)
	require.Equal(t, int64(4), p.Webhooks)
	require.Equal(t, map[int]int{200: 3, 503: 1}, p.Statuses)
	require.Equal(t, 3, p.Count)
	require.Equal(t, 1, p.Failed)

	raw := poolIngest([]IngestPhase{{Webhooks: -1}, {Webhooks: -1}})
	require.Equal(t, int64(-1), raw.Webhooks, "not counted stays not counted")
	require.Nil(t, raw.Calls)
}
