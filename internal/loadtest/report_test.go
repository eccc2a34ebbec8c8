package loadtest

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/firmaflow/firmaflow/internal/callcount"
)

var (
	ingestLine    = regexp.MustCompile(`^ingest c=(\d+) bridge=([\d.]+) raw=([\d.]+) ratio=([\d.]+) p99_bridge_ms=([\d.]+) p99_raw_ms=([\d.]+)$`)
	lifecycleLine = regexp.MustCompile(`^lifecycle n=(\d+) firmaflow=([\d.]+) bare=([\d.]+) ratio=([\d.]+)$`)
)

func lastLine(out string) string {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	return lines[len(lines)-1]
}

func TestIngestLineFormat(t *testing.T) {
	r := IngestResult{Concurrency: 8,
		Bridge: IngestPhase{Summary: Summary{PerSecond: 412.34, P99: 41250 * time.Microsecond}},
		Raw:    IngestPhase{Summary: Summary{PerSecond: 1000, P99: 12900 * time.Microsecond}}}
	require.Equal(t, "ingest c=8 bridge=412.3 raw=1000.0 ratio=0.41 p99_bridge_ms=41.2 p99_raw_ms=12.9", IngestLine(r))
	require.Regexp(t, ingestLine, IngestLine(IngestResult{}), "a run with nothing measured still prints a parsable line")
}

func TestLifecycleLineFormat(t *testing.T) {
	r := LifecycleResult{Processes: 50, Firmaflow: LifecyclePhase{Summary: Summary{PerSecond: 3.214}},
		Bare: LifecyclePhase{Summary: Summary{PerSecond: 5.02}}}
	require.Equal(t, "lifecycle n=50 firmaflow=3.21 bare=5.02 ratio=0.64", LifecycleLine(r))
}

func TestPrintIngestShowsCallsAnswersAndEndsWithTheLine(t *testing.T) {
	r := IngestResult{Provider: "autosign", Processes: 3, Concurrency: 4,
		Bridge: IngestPhase{Summary: Summary{Count: 10, Failed: 2, PerSecond: 50}, Delivered: 10,
			Calls: callcount.Calls{"ListWorkflowExecutions": 12, "SignalWorkflowExecution": 24}, Statuses: map[int]int{200: 10, 503: 2}},
		Raw: IngestPhase{Summary: Summary{Count: 12, PerSecond: 100}, Delivered: 12, Calls: callcount.Calls{"SignalWorkflowExecution": 12}}}
	var b bytes.Buffer
	PrintIngest(&b, r)
	out := b.String()
	require.Contains(t, out, "bridge answers: 200=10 503=2")
	require.Contains(t, out, "bridge Temporal calls: ListWorkflowExecutions=12 SignalWorkflowExecution=24")
	require.Regexp(t, `bridge\s+12\s+2\s+10\s.*\s3\.00\n`, out, "36 calls over 12 webhooks")
	require.Regexp(t, `raw\s+12\s+0\s+12\s.*\s1\.00\n`, out)
	m := ingestLine.FindStringSubmatch(lastLine(out))
	require.NotNil(t, m, "last line %q", lastLine(out))
	ratio, err := strconv.ParseFloat(m[4], 64)
	require.NoError(t, err)
	require.InDelta(t, 0.5, ratio, 1e-9)
}

func TestPrintLifecycleEndsWithTheLineAndSaysWhatWasNotCounted(t *testing.T) {
	r := LifecycleResult{Provider: "autosign", Processes: 2, Concurrency: 2,
		Firmaflow: LifecyclePhase{Summary: Summary{Count: 2, PerSecond: 1}, Webhooks: -1},
		Bare:      LifecyclePhase{Summary: Summary{Count: 2, PerSecond: 2}, Webhooks: 8, Calls: callcount.Calls{"SignalWorkflowExecution": 8}}}
	var b bytes.Buffer
	PrintLifecycle(&b, r)
	out := b.String()
	require.Contains(t, out, "bridge Temporal calls: not counted")
	require.Regexp(t, `firmaflow\s+2\s+0\s.*n/a\s+n/a\n`, out)
	require.Regexp(t, `bare\s+2\s+0\s.*\s8\s+1\.00\n`, out)
	m := lifecycleLine.FindStringSubmatch(lastLine(out))
	require.NotNil(t, m, "last line %q", lastLine(out))
	require.Equal(t, "2", m[1])
	require.Equal(t, "0.50", m[4])
}

func TestPrintShowsEveryRoundInItsOrder(t *testing.T) {
	in := func(bridge, raw float64, bridgeFirst bool) IngestRound {
		return IngestRound{BridgeFirst: bridgeFirst,
			Bridge: IngestPhase{Summary: Summary{PerSecond: bridge, P99: 20 * time.Millisecond}}, Raw: IngestPhase{Summary: Summary{PerSecond: raw, P99: 10 * time.Millisecond}}}
	}
	var b bytes.Buffer
	PrintIngest(&b, IngestResult{Concurrency: 8, Rounds: []IngestRound{in(100, 200, true), in(300, 200, false), in(90, 100, true)},
		Bridge: IngestPhase{Summary: Summary{PerSecond: 100}}, Raw: IngestPhase{Summary: Summary{PerSecond: 200}}})
	out := b.String()
	require.Regexp(t, `\n\s*1\s+bridge,raw\s+100\.0\s+200\.0\s+0\.50\s+20\.0\s+10\.0\s`, out)
	require.Regexp(t, `\n\s*2\s+raw,bridge\s+300\.0\s+200\.0\s+1\.50\s`, out)
	require.Regexp(t, `\n\s*3\s+bridge,raw\s+90\.0\s+100\.0\s+0\.90\s`, out)
	m := ingestLine.FindStringSubmatch(lastLine(out))
	require.NotNil(t, m, lastLine(out))
	require.Equal(t, "0.90", m[4], "the line's ratio is the median round's")
	require.Contains(t, out, "p99 bridge - raw, paired by round: median +10.0 ms (+10.0 to +10.0; 0 of 3 rounds within 5 ms)")

	life := func(ours, bare float64, first bool) LifecycleRound {
		return LifecycleRound{FirmaflowFirst: first, Firmaflow: LifecyclePhase{Summary: Summary{PerSecond: ours}}, Bare: LifecyclePhase{Summary: Summary{PerSecond: bare}}}
	}
	b.Reset()
	PrintLifecycle(&b, LifecycleResult{Processes: 5, Rounds: []LifecycleRound{life(7, 10, true), life(8, 10, false), life(6, 10, true)}})
	out = b.String()
	require.Regexp(t, `\n\s*2\s+bare,firmaflow\s+8\.00\s+10\.00\s+0\.80\s`, out)
	require.Equal(t, "0.70", lifecycleLine.FindStringSubmatch(lastLine(out))[4])
}

var openLine = regexp.MustCompile(`^open n=(\d+) c=(\d+) started=([\d.]+) p99_ms=([\d.]+)(?: (\w+)_rss_mb=([\d.]+|n/a) (\w+)_heap_mb=([\d.]+|n/a))*$`)

func TestPrintOpenShowsEachPageAndTheHeapPerProcess(t *testing.T) {
	reading := func(role string, rss, heap float64) MemoryReading {
		return MemoryReading{Role: role, Component: role, URL: "http://x/metrics", RSS: rss, HeapAlloc: heap, HeapInuse: heap, Goroutines: 10, StickyCache: -1}
	}
	r := OpenResult{Provider: "autosign", Processes: 1000, Concurrency: 8,
		Summary: Summary{Count: 1000, PerSecond: 21.25, P99: 812 * time.Millisecond},
		Before:  []MemoryReading{reading("worker", 50<<20, 10<<20), reading("bridge", 30<<20, 5<<20)},
		After:   []MemoryReading{reading("worker", 150<<20, 60<<20), {Role: "bridge", Component: "bridge", RSS: -1, HeapAlloc: -1, Err: "refused"}}}
	var b bytes.Buffer
	PrintOpen(&b, r)
	out := b.String()
	require.Contains(t, out, "heap per open process: 51.2 KiB", "50 MiB over 1000 processes")
	require.Contains(t, out, "not read: refused")
	line := lastLine(out)
	require.Equal(t, "open n=1000 c=8 started=21.2 p99_ms=812.0 worker_rss_mb=150.0 worker_heap_mb=60.0 bridge_rss_mb=n/a bridge_heap_mb=n/a", line)
	require.Regexp(t, openLine, line)
	require.Regexp(t, openLine, OpenLine(OpenResult{}), "nothing measured still parses")
}

func TestPrintLifecycleShowsTheHistoryProfiles(t *testing.T) {
	r := LifecycleResult{Processes: 2,
		FirmaflowHistory: HistoryProfile{Processes: 2, PerType: map[string]float64{"WorkflowTaskCompleted": 9, "ActivityTaskScheduled": 3, "UpsertWorkflowSearchAttributes": 3}},
		BareHistory:      HistoryProfile{Processes: 2, PerType: map[string]float64{"WorkflowTaskCompleted": 5, "ActivityTaskScheduled": 2}}}
	require.Equal(t, 15.0, r.FirmaflowHistory.Total())
	require.Equal(t, []string{"WorkflowTaskCompleted", "ActivityTaskScheduled", "UpsertWorkflowSearchAttributes"}, profileRows(r.FirmaflowHistory, r.BareHistory),
		"by firmaflow's count, ties by name")
	var b bytes.Buffer
	PrintLifecycle(&b, r)
	out := b.String()
	require.Regexp(t, `\n\s*WorkflowTaskCompleted\s+9\.0\s+5\.0\s*\n`, out)
	require.Regexp(t, `\n\s*UpsertWorkflowSearchAttributes\s+3\.0\s+0\.0\s*\n`, out)
	require.Regexp(t, `\n\s*all\s+15\.0\s+7\.0\s*\n`, out)
}

func TestPrintIngestSplitsWhereAnEventsTimeGoes(t *testing.T) {
	bridgeRound := IngestPhase{Summary: Summarize([]time.Duration{4 * time.Millisecond, 6 * time.Millisecond}, 0, time.Second),
		BridgeTime: 9200 * time.Microsecond, CallTime: 8400 * time.Microsecond}
	rawRound := IngestPhase{Summary: Summarize([]time.Duration{4 * time.Millisecond, 4200 * time.Microsecond}, 0, time.Second),
		BridgeTime: -1, CallTime: 8 * time.Millisecond}
	r := IngestResult{Provider: "autosign", Processes: 1, Concurrency: 1,
		Rounds: []IngestRound{{BridgeFirst: true, Bridge: bridgeRound, Raw: rawRound}, {Bridge: bridgeRound, Raw: rawRound}},
		Bridge: poolIngest([]IngestPhase{bridgeRound, bridgeRound}), Raw: poolIngest([]IngestPhase{rawRound, rawRound})}
	require.Equal(t, 2*9200*time.Microsecond, r.Bridge.BridgeTime, "pooled rounds add up")
	require.Equal(t, time.Duration(-1), r.Raw.BridgeTime, "nothing measured stays unmeasured")

	var b bytes.Buffer
	PrintIngest(&b, r)
	out := b.String()
	require.Contains(t, out, "bridge: 5.00 round trip = 0.40 HTTP hop + 0.40 handler (the SDK's client work included) + 4.20 Temporal calls\n")
	require.Contains(t, out, "raw:    4.10 round trip = 0.10 the SDK's client work + 4.00 Temporal calls\n")
	require.Contains(t, out, "the bridge adds 0.70 ms beyond the calls (\"bridge adds\" in the rounds above); its calls took +0.20 ms against raw's\n")
	// Each round: what the bridge adds ((5.00 - 4.20) - (4.10 - 4.00)),
	// then both sides' calls.
	require.Regexp(t, `(?m)^\s+1\s+bridge,raw\s.*\s0\.70\s+4\.20\s+4\.00\s+0\s+0$`, out)

	elsewhere := r
	elsewhere.Bridge.BridgeTime, elsewhere.Bridge.CallTime = -1, -1
	elsewhere.Rounds = []IngestRound{{Bridge: IngestPhase{Summary: bridgeRound.Summary, BridgeTime: -1, CallTime: -1}, Raw: rawRound}}
	b.Reset()
	PrintIngest(&b, elsewhere)
	require.Contains(t, b.String(), "bridge: 5.00 round trip (not split: the bridge runs elsewhere)")
	require.NotContains(t, b.String(), "the bridge adds")
	require.Regexp(t, `(?m)^\s+1\s+raw,bridge\s.*\sn/a\s+n/a\s+4\.00\s+0\s+0$`, b.String())
}

// The p99 gap pairs the sides within each round: one slow round shows as
// one round, not as a pooled percentile.
func TestP99GapPairsTheSidesByRound(t *testing.T) {
	round := func(bridge, raw time.Duration) IngestRound {
		return IngestRound{Bridge: IngestPhase{Summary: Summary{P99: bridge}}, Raw: IngestPhase{Summary: Summary{P99: raw}}}
	}
	gap, ok := p99Gap([]IngestRound{
		round(22*time.Millisecond, 20*time.Millisecond),
		round(300*time.Millisecond, 200*time.Millisecond), // a slow spell in the bridge's phase
		round(19*time.Millisecond, 21*time.Millisecond),
		round(30*time.Millisecond, 24*time.Millisecond),
	})
	require.True(t, ok)
	require.InDelta(t, 4.0, gap.median, 1e-9, "median of +2, +100, -2, +6")
	require.Equal(t, "-2.0 to +100.0; 2 of 4 rounds within 5 ms", gap.spread)
	_, ok = p99Gap([]IngestRound{round(time.Millisecond, time.Millisecond)})
	require.False(t, ok, "one round pairs nothing the pooled figures do not say")
}
