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
