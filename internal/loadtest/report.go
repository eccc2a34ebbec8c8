package loadtest

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// IngestLine is the ingest scenario's last line, one run per line so runs
// can be compared with grep:
//
//	ingest c=8 bridge=412.3 raw=1290.0 ratio=0.32 p99_bridge_ms=41.2 p99_raw_ms=12.9
func IngestLine(r IngestResult) string {
	return fmt.Sprintf("ingest c=%d bridge=%.1f raw=%.1f ratio=%.2f p99_bridge_ms=%.1f p99_raw_ms=%.1f",
		r.Concurrency, r.Bridge.PerSecond, r.Raw.PerSecond, r.Ratio(), ms(r.Bridge.P99), ms(r.Raw.P99))
}

// LifecycleLine is the lifecycle scenario's last line:
//
//	lifecycle n=50 firmaflow=3.21 bare=5.02 ratio=0.64
func LifecycleLine(r LifecycleResult) string {
	return fmt.Sprintf("lifecycle n=%d firmaflow=%.2f bare=%.2f ratio=%.2f",
		r.Processes, r.Firmaflow.PerSecond, r.Bare.PerSecond, r.Ratio())
}

// OpenLine is the open scenario's last line: processes opened per second,
// and each metrics page's RSS and Go heap in MiB (after the run), by role:
//
//	open n=1000 c=8 started=21.3 p99_ms=812.0 worker_rss_mb=180.2 worker_heap_mb=95.1
func OpenLine(r OpenResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "open n=%d c=%d started=%.1f p99_ms=%.1f", r.Processes, r.Concurrency, r.PerSecond, ms(r.P99))
	for _, m := range r.After {
		fmt.Fprintf(&b, " %s_rss_mb=%s %s_heap_mb=%s", m.Role, mib(m.RSS), m.Role, mib(m.HeapAlloc))
	}
	return b.String()
}

// PrintOpen writes the open scenario's figures, each page's memory before
// and after, and the final line.
func PrintOpen(w io.Writer, r OpenResult) {
	fmt.Fprintf(w, "open: %d %s processes started and left waiting for signatures, at concurrency %d\n\n", r.Processes, r.Provider, r.Concurrency)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "processes\tfailed\tseconds\tprocesses/s\tp50 ms\tp99 ms\tmax ms\t")
	fmt.Fprintf(tw, "%d\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t\n", r.Count+r.Failed, r.Failed, r.Elapsed.Seconds(), r.PerSecond, ms(r.P50), ms(r.P99), ms(r.Max))
	tw.Flush()
	if len(r.After) == 0 {
		fmt.Fprintln(w, "\nmemory: no metrics page to read (-worker-metrics, -bridge-metrics)")
	}
	for i, after := range r.After {
		fmt.Fprintf(w, "\n%s: %s (%s)\n", after.Role, after.Component, after.URL)
		if after.Err != "" {
			fmt.Fprintf(w, "  not read: %s\n", after.Err)
			continue
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "  \tRSS MiB\theap alloc MiB\theap in use MiB\tgoroutines\tcached workflows\t")
		row := func(name string, m MemoryReading) {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t\n", name, mib(m.RSS), mib(m.HeapAlloc), mib(m.HeapInuse), count(m.Goroutines), count(m.StickyCache))
		}
		if i < len(r.Before) && r.Before[i].Err == "" {
			row("before", r.Before[i])
		}
		row("after", after)
		tw.Flush()
		if i < len(r.Before) && r.Before[i].Err == "" && r.Count > 0 && after.HeapAlloc >= 0 && r.Before[i].HeapAlloc >= 0 {
			fmt.Fprintf(w, "  heap per open process: %.1f KiB\n", (after.HeapAlloc-r.Before[i].HeapAlloc)/float64(r.Count)/1024)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, OpenLine(r))
}

// mib is bytes in MiB, "n/a" for a figure not read (-1).
func mib(bytes float64) string {
	if bytes < 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f", bytes/(1<<20))
}

// count is a whole number, "n/a" for a figure not read (-1).
func count(n float64) string {
	if n < 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.0f", n)
}

// PrintIngest writes the ingest table, the bridge's answers and Temporal
// calls, and the final line.
func PrintIngest(w io.Writer, r IngestResult) {
	fmt.Fprintf(w, "ingest: %d events each way to %d open %s processes at concurrency %d, %d rounds\n\n",
		r.Bridge.Count+r.Bridge.Failed, r.Processes, r.Provider, r.Concurrency, len(r.Rounds))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "round\torder\tbridge events/s\traw events/s\tratio\tbridge p99 ms\traw p99 ms\tbridge adds ms\tbridge call ms\traw call ms\tbridge failed\traw failed\t")
	for i, round := range r.Rounds {
		bridgeTrip, _, bridgeCall := round.Bridge.Split()
		rawTrip, _, rawCall := round.Raw.Split()
		fmt.Fprintf(tw, "%d\t%s\t%.1f\t%.1f\t%.2f\t%.1f\t%.1f\t%s\t%s\t%s\t%d\t%d\t\n", i+1, order(round.BridgeFirst, "bridge", "raw"),
			round.Bridge.PerSecond, round.Raw.PerSecond, round.Ratio(), ms(round.Bridge.P99), ms(round.Raw.P99),
			meanMS((bridgeTrip-bridgeCall)-(rawTrip-rawCall), min(bridgeCall, rawCall)), meanMS(bridgeCall, bridgeCall), meanMS(rawCall, rawCall),
			round.Bridge.Failed, round.Raw.Failed)
	}
	tw.Flush()
	if gap, ok := p99Gap(r.Rounds); ok {
		fmt.Fprintf(w, "\np99 bridge - raw, paired by round: median %+.1f ms (%s)\n", gap.median, gap.spread)
	}
	fmt.Fprintf(w, "\nall rounds (events/s: the median round's; percentiles: over every event):\n\n")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "phase\tevents\tfailed\tdelivered\tseconds\tevents/s\tp50 ms\tp99 ms\tmax ms\tTemporal calls/event\t")
	for _, p := range []struct {
		name  string
		phase IngestPhase
	}{{"bridge", r.Bridge}, {"raw", r.Raw}} {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.2f\t%.1f\t%.1f\t%.1f\t%.1f\t%s\t\n", p.name, p.phase.Count+p.phase.Failed, p.phase.Failed,
			p.phase.Delivered, p.phase.Elapsed.Seconds(), p.phase.PerSecond, ms(p.phase.P50), ms(p.phase.P99), ms(p.phase.Max),
			p.phase.Calls.PerItem(int64(p.phase.Count+p.phase.Failed)))
	}
	tw.Flush()
	printSplit(w, r)
	fmt.Fprintf(w, "\nbridge answers: %s\n", statusList(r.Bridge.Statuses))
	fmt.Fprintf(w, "bridge Temporal calls: %s\n", r.Bridge.Calls)
	fmt.Fprintf(w, "raw Temporal calls: %s\n", r.Raw.Calls)
	fmt.Fprintf(w, "bridge Temporal calls per webhook: %s\n\n", r.Bridge.Calls.PerItem(int64(r.Bridge.Count+r.Bridge.Failed)))
	fmt.Fprintln(w, IngestLine(r))
}

// printSplit writes where a mean event's time went in each phase. The
// Temporal calls are timed on the gRPC connection, so the SDK's own work
// before a call (interceptors, encoding the payload) falls in the raw
// side's client part and in the bridge's handler alike: what the bridge
// adds is its round trip beyond its calls less the raw side's beyond its.
func printSplit(w io.Writer, r IngestResult) {
	fmt.Fprintf(w, "\nmean ms per event, all rounds (Temporal calls timed on the gRPC connection):\n")
	bridgeTrip, handler, bridgeCalls := r.Bridge.Split()
	rawTrip, _, rawCalls := r.Raw.Split()
	if handler < 0 || bridgeCalls < 0 {
		fmt.Fprintf(w, "  bridge: %.2f round trip (not split: the bridge runs elsewhere)\n", ms(bridgeTrip))
	} else {
		fmt.Fprintf(w, "  bridge: %.2f round trip = %.2f HTTP hop + %.2f handler (the SDK's client work included) + %.2f Temporal calls\n",
			ms(bridgeTrip), ms(bridgeTrip-handler), ms(handler-bridgeCalls), ms(bridgeCalls))
	}
	fmt.Fprintf(w, "  raw:    %.2f round trip = %.2f the SDK's client work + %.2f Temporal calls\n", ms(rawTrip), ms(rawTrip-rawCalls), ms(rawCalls))
	if handler >= 0 && bridgeCalls >= 0 && rawCalls >= 0 {
		fmt.Fprintf(w, "  the bridge adds %.2f ms beyond the calls (\"bridge adds\" in the rounds above); its calls took %+.2f ms against raw's\n",
			ms((bridgeTrip-bridgeCalls)-(rawTrip-rawCalls)), ms(bridgeCalls-rawCalls))
	}
}

// meanMS formats a mean time in milliseconds, or n/a when what it is made
// of (guard) was not measured.
func meanMS(d, guard time.Duration) string {
	if guard < 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f", ms(d))
}

// PrintLifecycle writes the lifecycle table, the receivers' Temporal calls,
// and the final line.
func PrintLifecycle(w io.Writer, r LifecycleResult) {
	fmt.Fprintf(w, "lifecycle: %d %s processes each way per round (send %d KiB, 2 signers, completion, fetch) at concurrency %d, %d rounds\n\n",
		r.Processes, r.Provider, LifecycleDocumentBytes>>10, r.Concurrency, len(r.Rounds))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "round\torder\tfirmaflow processes/s\tbare processes/s\tratio\tfirmaflow p99 ms\tbare p99 ms\t")
	for i, round := range r.Rounds {
		fmt.Fprintf(tw, "%d\t%s\t%.2f\t%.2f\t%.2f\t%.1f\t%.1f\t\n", i+1, order(round.FirmaflowFirst, "firmaflow", "bare"),
			round.Firmaflow.PerSecond, round.Bare.PerSecond, round.Ratio(), ms(round.Firmaflow.P99), ms(round.Bare.P99))
	}
	tw.Flush()
	fmt.Fprintf(w, "\nall rounds (processes/s: the median round's; percentiles: over every process):\n\n")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "workflow\tprocesses\tfailed\tseconds\tprocesses/s\tp50 ms\tp99 ms\tmax ms\twebhooks\tTemporal calls/webhook\t")
	for _, p := range []struct {
		name  string
		phase LifecyclePhase
	}{{"firmaflow", r.Firmaflow}, {"bare", r.Bare}} {
		webhooks := "n/a"
		if p.phase.Webhooks >= 0 {
			webhooks = fmt.Sprint(p.phase.Webhooks)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.2f\t%.2f\t%.1f\t%.1f\t%.1f\t%s\t%s\t\n", p.name, p.phase.Count+p.phase.Failed, p.phase.Failed,
			p.phase.Elapsed.Seconds(), p.phase.PerSecond, ms(p.phase.P50), ms(p.phase.P99), ms(p.phase.Max), webhooks,
			p.phase.Calls.PerItem(max(p.phase.Webhooks, 0)))
	}
	tw.Flush()
	fmt.Fprintf(w, "\nbridge Temporal calls: %s\n", r.Firmaflow.Calls)
	fmt.Fprintf(w, "bare router Temporal calls: %s\n\n", r.Bare.Calls)
	if r.FirmaflowHistory.Processes > 0 || r.BareHistory.Processes > 0 {
		fmt.Fprintf(w, "history events per process (firmaflow: its runs and its route; mean of %d and %d processes):\n\n",
			r.FirmaflowHistory.Processes, r.BareHistory.Processes)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "event type\tfirmaflow\tbare\t")
		for _, t := range profileRows(r.FirmaflowHistory, r.BareHistory) {
			fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t\n", t, r.FirmaflowHistory.PerType[t], r.BareHistory.PerType[t])
		}
		fmt.Fprintf(tw, "all\t%.1f\t%.1f\t\n", r.FirmaflowHistory.Total(), r.BareHistory.Total())
		tw.Flush()
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, LifecycleLine(r))
}

// order is "a,b" when a ran first, else "b,a".
func order(aFirst bool, a, b string) string {
	if aFirst {
		return a + "," + b
	}
	return b + "," + a
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// statusList is "200=1000 503=3", by code.
func statusList(statuses map[int]int) string {
	codes := make([]int, 0, len(statuses))
	for c := range statuses {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	parts := make([]string, 0, len(codes))
	for _, c := range codes {
		parts = append(parts, fmt.Sprintf("%d=%d", c, statuses[c]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, " ")
}

// roundGap is how far the bridge's p99 was from raw's, round by round.
type roundGap struct {
	median float64 // ms
	spread string  // range, and how many rounds were within 5 ms
}

// p99Gap pairs the two sides' p99 within each round, as the ratio pairs
// their throughputs: both ran back to back in the same state of the
// machine, so a slow spell weighs on one round, not on one side's pooled
// percentile. The pooled p99s stay in the result line.
func p99Gap(rounds []IngestRound) (roundGap, bool) {
	if len(rounds) < 2 {
		return roundGap{}, false
	}
	gaps := make([]float64, len(rounds))
	within := 0
	for i, round := range rounds {
		gaps[i] = ms(round.Bridge.P99) - ms(round.Raw.P99)
		if gaps[i] <= 5 {
			within++
		}
	}
	lo, hi := slices.Min(gaps), slices.Max(gaps)
	return roundGap{median: median(gaps),
		spread: fmt.Sprintf("%+.1f to %+.1f; %d of %d rounds within 5 ms", lo, hi, within, len(rounds))}, true
}
