package loadtest

import (
	"context"
	"log/slog"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/firmaflow/firmaflow/internal/callcount"
	"github.com/firmaflow/firmaflow/providers/arqsign"
	"github.com/firmaflow/firmaflow/providers/autosign"
	"github.com/firmaflow/firmaflow/signing"
)

// TestScenariosOnTheEmbeddedStack runs each scenario at a tiny size on one
// embedded stack and holds the figures to what Temporal recorded.
func TestScenariosOnTheEmbeddedStack(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the embedded dev stack; not in -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	env, err := StartEmbedded(ctx, EmbeddedOptions{Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	require.NoError(t, err)
	defer env.Close()

	for _, c := range []struct {
		provider          string
		processes, events int
	}{{autosign.Name, 3, 12}, {arqsign.Name, 2, 6}} {
		t.Run("ingest "+c.provider, func(t *testing.T) {
			const rounds = 2
			opts := IngestOptions{Provider: c.provider, Processes: c.processes, Events: c.events, Concurrency: 4, Rounds: rounds}
			var phases []string
			var busy []string // processes with a workflow task pending as a phase started
			opts.phaseStarts = func(phase string, ids []string) {
				phases = append(phases, phase)
				for _, id := range ids {
					d, err := env.Client.DescribeWorkflowExecution(ctx, signing.WorkflowID(id), "")
					require.NoError(t, err)
					if d.GetPendingWorkflowTask() != nil {
						busy = append(busy, phase+" "+id)
					}
				}
			}
			res, err := Ingest(ctx, env, opts)
			require.NoError(t, err)
			require.Equal(t, []string{"bridge", "raw", "raw", "bridge"}, phases)
			require.Empty(t, busy, "each phase starts with the worker done with the last one's events")
			require.Len(t, res.Rounds, rounds)
			require.True(t, res.Rounds[0].BridgeFirst)
			require.False(t, res.Rounds[1].BridgeFirst)
			for _, r := range res.Rounds {
				require.Equal(t, c.events, r.Bridge.Count)
				require.Equal(t, c.events, r.Raw.Count)
			}
			m := ingestLine.FindStringSubmatch(IngestLine(res))
			require.NotNil(t, m, IngestLine(res))
			require.Equal(t, "4", m[1])
			for name, p := range map[string]IngestPhase{"bridge": res.Bridge, "raw": res.Raw} {
				require.Equal(t, rounds*c.events, p.Count, name)
				require.Zero(t, p.Failed, name)
				require.Equal(t, rounds*c.events, p.Delivered, "%s: every event is in a workflow history", name)
				perSecond, err := strconv.ParseFloat(m[map[string]int{"bridge": 2, "raw": 3}[name]], 64)
				require.NoError(t, err)
				require.Greater(t, perSecond, 0.0, name)
			}
			require.Equal(t, map[int]int{200: rounds * c.events}, res.Bridge.Statuses)
			require.Equal(t, int64(rounds*c.events), res.Bridge.Webhooks, "the bridge got the load tool's webhooks and no simulator's")
			require.GreaterOrEqual(t, res.Bridge.Calls.Total(), int64(rounds*c.events), "at least one Temporal call per webhook")
			require.Equal(t, callcount.Calls{"SignalWorkflowExecution": int64(rounds * c.events)}, res.Raw.Calls)
			// The split is measured and adds up: the bridge's handler within
			// the sender's round trip, its Temporal calls within the handler.
			trip, handler, calls := res.Bridge.Split()
			require.Positive(t, calls, "the bridge's calls are timed")
			require.GreaterOrEqual(t, handler, calls)
			require.GreaterOrEqual(t, trip, handler)
			trip, _, calls = res.Raw.Split()
			require.Positive(t, calls, "the raw calls are timed")
			require.GreaterOrEqual(t, trip, calls)
			requireApplied(ctx, t, env, res)
		})
	}

	t.Run("open", func(t *testing.T) {
		const n = 4
		res, err := Open(ctx, env, OpenOptions{Provider: autosign.Name, Processes: n, Concurrency: 2})
		require.NoError(t, err)
		require.Equal(t, n, res.Count)
		require.Greater(t, res.PerSecond, 0.0)
		require.Len(t, res.After, 1, "embedded with the worker in process: one page, this process's")
		m := res.After[0]
		require.Equal(t, "stack", m.Role)
		require.Empty(t, m.Err)
		require.Greater(t, m.RSS, 0.0, "the process collector is on the page")
		require.Greater(t, m.HeapAlloc, 0.0, "the Go collector is on the page")
		require.Regexp(t, openLine, OpenLine(res))
	})
	t.Run("lifecycle", func(t *testing.T) {
		const n = 3
		res, err := Lifecycle(ctx, env, LifecycleOptions{Provider: autosign.Name, Processes: n, Concurrency: n, Rounds: 2})
		require.NoError(t, err)
		require.Len(t, res.Rounds, 2)
		require.False(t, res.Rounds[1].FirmaflowFirst)
		m := lifecycleLine.FindStringSubmatch(LifecycleLine(res))
		require.NotNil(t, m, LifecycleLine(res))
		require.Equal(t, strconv.Itoa(n), m[1])
		require.Equal(t, 2*n, res.Firmaflow.Count)
		require.Equal(t, 2*n, res.Bare.Count)
		for _, id := range res.Firmaflow.WorkflowIDs {
			var out signing.Result
			require.NoError(t, env.Client.GetWorkflow(ctx, id, "").Get(ctx, &out))
			require.Equal(t, signing.StatusCompleted, out.Status, id)
			requireStored(ctx, t, env, out.Documents)
		}
		for _, id := range res.Bare.WorkflowIDs {
			var out BareResult
			require.NoError(t, env.Client.GetWorkflow(ctx, id, "").Get(ctx, &out))
			require.Equal(t, 2, out.Signed, "%s: both signers' events reached the bare workflow", id)
			requireStored(ctx, t, env, out.Documents)
		}
		// Each process's provider posts the same webhooks either way: the
		// started notice, two signatures, the completion.
		require.GreaterOrEqual(t, res.Firmaflow.Webhooks, int64(2*4*n))
		require.GreaterOrEqual(t, res.Bare.Webhooks, int64(2*4*n))
		require.Equal(t, "1.00", res.Bare.Calls.PerItem(res.Bare.Webhooks), "the bare router makes one call per webhook")
		require.Equal(t, n, res.BareHistory.Processes)
		require.Equal(t, 2.0, res.BareHistory.PerType["ActivityTaskScheduled"], "the bare workflow runs Send and FetchDocuments")
		require.Equal(t, 1.0, res.BareHistory.PerType["WorkflowExecutionCompleted"])
		require.Equal(t, n, res.FirmaflowHistory.Processes)
		require.GreaterOrEqual(t, res.FirmaflowHistory.PerType["ActivityTaskScheduled"], 2.0)
		require.GreaterOrEqual(t, res.FirmaflowHistory.PerType["WorkflowExecutionStarted"], 2.0, "the process and its route")
		require.Equal(t, 1.0, res.FirmaflowHistory.PerType["MarkerRecorded"], "one version marker per new process (workflows/versions.go)")
		require.GreaterOrEqual(t, res.Firmaflow.Calls.Total(), res.Firmaflow.Webhooks)
	})
}

// requireApplied holds the ingest figures to the workflows' own state:
// every event of both phases shows in the process's event log as applied.
func requireApplied(ctx context.Context, t *testing.T, env *Env, res IngestResult) {
	t.Helper()
	for _, id := range res.ProcessIDs {
		wf := signing.WorkflowID(id)
		want := append(append([]string(nil), res.BridgeKeys[wf]...), res.RawKeys[wf]...)
		require.NotEmpty(t, want)
		require.Eventually(t, func() bool {
			v, err := env.Client.QueryWorkflow(ctx, wf, "", signing.QueryState)
			if err != nil {
				return false
			}
			var st signing.State
			if v.Get(&st) != nil {
				return false
			}
			applied := map[string]bool{}
			for _, e := range st.Events {
				applied[e.Key] = e.Effect == "applied"
			}
			for _, k := range want {
				if !applied[k] {
					return false
				}
			}
			return st.Status == signing.StatusAwaitingSignatures
		}, 30*time.Second, 100*time.Millisecond, "%s: all %d events applied and the process still open", wf, len(want))
	}
}

func requireStored(ctx context.Context, t *testing.T, env *Env, docs []signing.StoredDocument) {
	t.Helper()
	require.NotEmpty(t, docs)
	var total int64
	for _, d := range docs {
		size, err := env.Store.Size(ctx, d.Key)
		require.NoError(t, err)
		require.Equal(t, d.Size, size, d.Key)
		total += size
	}
	require.GreaterOrEqual(t, total, int64(LifecycleDocumentBytes))
}
