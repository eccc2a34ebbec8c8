package loadtest

import (
	"slices"
	"time"

	"github.com/firmaflow/firmaflow/internal/callcount"
)

// DefaultRounds is how many rounds a scenario runs when not told: enough
// for a median, and an odd number so the median is a measured round.
const DefaultRounds = 3

// firmaflowFirst says whether firmaflow's side runs first in round r (from
// 0). The order goes AB, BA, AB, BA… (ABBA): over an even number of rounds
// each side runs first as often as second, so warm-up, history growth
// and the dev server's single SQLite connection favour neither.
func firmaflowFirst(round int) bool { return round%2 == 0 }

// median of xs: the middle value, or the mean of the two middle values of
// an even count; 0 for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	mid := len(s) / 2
	if len(s)%2 == 1 {
		return s[mid]
	}
	return (s[mid-1] + s[mid]) / 2
}

// medianRatio is the median of the rounds' ratios, or pooled when there
// are no rounds.
func medianRatio[R interface{ Ratio() float64 }](rounds []R, pooled float64) float64 {
	if len(rounds) == 0 {
		return pooled
	}
	ratios := make([]float64, len(rounds))
	for i, round := range rounds {
		ratios[i] = round.Ratio()
	}
	return median(ratios)
}

// pool describes one side over all rounds: counts and wall time add up,
// the percentiles are those of every operation of every round, and
// PerSecond is the median of the rounds' throughputs (the figure the
// rounds are run for; a sum would let one slow round weigh in full).
func pool(rounds []Summary) Summary {
	var all []time.Duration
	var out Summary
	perSecond := make([]float64, 0, len(rounds))
	for _, r := range rounds {
		all = append(all, r.latencies...)
		out.Failed += r.Failed
		out.Elapsed += r.Elapsed
		perSecond = append(perSecond, r.PerSecond)
	}
	out = Summarize(all, out.Failed, out.Elapsed)
	out.PerSecond = median(perSecond)
	return out
}

// addCalls sums call counts; nil (not counted) stays nil.
func addCalls(a, b callcount.Calls) callcount.Calls {
	if a == nil || b == nil {
		if a == nil {
			return b
		}
		return a
	}
	out := callcount.Calls{}
	for _, c := range []callcount.Calls{a, b} {
		for m, n := range c {
			out[m] += n
		}
	}
	return out
}
