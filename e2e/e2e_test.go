// Package e2e runs firmaflow end to end on a real Temporal dev server (built
// from the pinned tools module), with the real worker, bridge and provider
// simulators on loopback, through internal/devstack: the same wiring
// cmd/devstack runs.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/firmaflow/firmaflow/config"
	"github.com/firmaflow/firmaflow/internal/devstack"
	"github.com/firmaflow/firmaflow/internal/fakeprovider"
	"github.com/firmaflow/firmaflow/internal/modules"
	"github.com/firmaflow/firmaflow/internal/simulated"
	"github.com/firmaflow/firmaflow/providers/arqsign"
	"github.com/firmaflow/firmaflow/routing"
	"github.com/firmaflow/firmaflow/signing"
	"github.com/firmaflow/firmaflow/simulators/arqsignsim"
	"github.com/firmaflow/firmaflow/starter/processes"
	"github.com/firmaflow/firmaflow/workflows"
)

var stack *devstack.Stack

// stackLogs keeps what the stack logged, for tests of the log lines.
var stackLogs = &syncBuffer{}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	storeDir, err := os.MkdirTemp("", "firmaflow-e2e-store")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(storeDir)
	cfg, err := config.LoadFrom(ctx, mapLookuper{"FIRMAFLOW_DOCSTORE_URL": storeDir, "FIRMAFLOW_INBOX_CLAIM_WINDOW": "2s",
		// Traced, to installTracing's provider (the stack sets up no exporter).
		"OTEL_TRACES_EXPORTER": "stdout"})
	if err != nil {
		panic(err)
	}
	level := slog.LevelWarn
	if testing.Verbose() {
		level = slog.LevelInfo
	}
	installTracing()
	stack, err = devstack.Start(ctx, devstack.Options{
		Config: cfg, DefaultScenario: arqsignsim.ScenarioSign, SimStepDelay: time.Millisecond,
		Modules: append(slices.Clone(modules.All), fakeprovider.Module), // a fifth provider: one module, one line
		Logger:  slog.New(slog.NewTextHandler(io.MultiWriter(os.Stderr, stackLogs), &slog.HandlerOptions{Level: level})),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: dev stack:", err)
		return 1
	}
	defer stack.Close()
	return m.Run()
}

type mapLookuper map[string]string

func (m mapLookuper) Lookup(k string) (string, bool) { v, ok := m[k]; return v, ok }

// startProcess uploads a PDF and starts a process whose title names the
// simulator scenario.
func startProcess(t testing.TB, scenario string, policy signing.ResendPolicy) (signing.Input, func() signing.Result) {
	t.Helper()
	return startOn(t, arqsign.Name, scenario, policy)
}

// startOn starts a process on any provider; only the provider field differs.
func startOn(t testing.TB, provider, scenario string, policy signing.ResendPolicy) (signing.Input, func() signing.Result) {
	t.Helper()
	ctx := context.Background()
	id := processes.NewProcessID()
	doc, err := stack.Store.Put(ctx, "inbox/"+id+"/contract.pdf", strings.NewReader("%PDF-1.4\n"+t.Name()+"\n%%EOF\n"), "application/pdf")
	require.NoError(t, err)
	in := signing.Input{
		ProcessID: id, Provider: provider, Title: fmt.Sprintf("%s [sim:%s]", t.Name(), scenario),
		Documents: []signing.DocumentRef{{Name: "contract.pdf", Key: doc.Key}},
		Signers: []signing.Signer{
			{Name: "Ana Souza", Email: "ana@example.com", Order: 1},
			{Name: "Bruno Lima", Email: "bruno@example.com", Order: 2},
		},
		ExpiresInDays: 10, Resend: policy,
	}
	run, err := processes.Start(ctx, stack.Client, stack.Config.Temporal.TaskQueue, in)
	require.NoError(t, err)
	return in, func() signing.Result {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		res, err := processes.Result(wctx, run)
		require.NoError(t, err)
		recordHistory(t, provider, scenario, run.GetID(), run.GetRunID())
		return res
	}
}

var fastPolicy = signing.ResendPolicy{MaxResends: 2, MaxRenewals: 1, Backoff: signing.Duration(200 * time.Millisecond)}

func simProcess(t testing.TB, ref string) arqsignsim.ProcessView {
	v, ok := simulated.ArqSIGN(stack).Process(ref)
	require.True(t, ok, "simulator knows %s", ref)
	return v
}

func TestCompletesWithVerifiedDocuments(t *testing.T) {
	in, wait := startProcess(t, arqsignsim.ScenarioSign, fastPolicy)
	res := wait()
	require.Equal(t, signing.StatusCompleted, res.Status)
	require.Len(t, res.Documents, 2)
	requireTruth(t, in, res)

	view := simProcess(t, res.ProviderRef)
	signed := res.Documents[0]
	require.Equal(t, signing.KindSigned, signed.Kind)
	require.Equal(t, view.SignedSHA256[0], signed.SHA256, "the workflow's hash is what the simulator served")
	stored, err := stack.Store.Describe(context.Background(), signed.Key)
	require.NoError(t, err)
	require.Equal(t, view.SignedSHA256[0], stored.SHA256, "the stored bytes are what the simulator served")
	require.Equal(t, signed.Size, stored.Size)
	require.Equal(t, 2, view.Counts.Downloads, "each document fetched once")

	st, err := processes.State(context.Background(), stack.Client, in.ProcessID)
	require.NoError(t, err)
	require.Equal(t, signing.StatusCompleted, st.Status)
	for _, s := range st.Signers {
		require.Equal(t, signing.SignerSigned, s.Status)
	}

	// Operators find it by its search attributes.
	require.Eventually(t, func() bool {
		resp, err := stack.Client.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{
			Query: fmt.Sprintf("SigningProvider='arqsign' AND SigningStatus='completed' AND SigningProviderRef='%s'", res.ProviderRef),
		})
		return err == nil && len(resp.GetExecutions()) == 1 && resp.GetExecutions()[0].GetExecution().GetWorkflowId() == signing.WorkflowID(in.ProcessID)
	}, 10*time.Second, 100*time.Millisecond)
}

func TestBase64CompletionIsStoredByTheBridge(t *testing.T) {
	in, wait := startProcess(t, arqsignsim.ScenarioSign+",base64", fastPolicy)
	res := wait()
	require.Equal(t, signing.StatusCompleted, res.Status)
	requireTruth(t, in, res)
	view := simProcess(t, res.ProviderRef)
	require.Equal(t, view.SignedSHA256[0], res.Documents[0].SHA256)
	require.Zero(t, view.Counts.Downloads, "nothing to download: the webhook carried the files")
}

func TestDeliveryFailureIsResent(t *testing.T) {
	in, wait := startProcess(t, arqsignsim.ScenarioDeliveryFailure, fastPolicy)
	res := wait()
	require.Equal(t, signing.StatusCompleted, res.Status)
	requireTruth(t, in, res)
	require.Equal(t, 1, res.Resends)
	require.Equal(t, 1, simProcess(t, res.ProviderRef).Counts.Resends)
}

func TestExpiryRenewsThenCompletes(t *testing.T) {
	in, wait := startProcess(t, arqsignsim.ScenarioExpire, fastPolicy)
	res := wait()
	require.Equal(t, signing.StatusCompleted, res.Status)
	requireTruth(t, in, res)
	require.Equal(t, 1, res.Renewals)
	require.Equal(t, 1, simProcess(t, res.ProviderRef).Counts.Renewals)
}

func TestExpiryPastTheBound(t *testing.T) {
	in, wait := startProcess(t, arqsignsim.ScenarioExpireAlways, fastPolicy)
	res := wait()
	require.Equal(t, signing.StatusExpired, res.Status)
	requireTruth(t, in, res)
	require.Equal(t, 1, res.Renewals)
	require.Equal(t, 1, simProcess(t, res.ProviderRef).Counts.Renewals)
}

func TestRejectionEndsWithReason(t *testing.T) {
	in, wait := startProcess(t, arqsignsim.ScenarioReject, fastPolicy)
	res := wait()
	require.Equal(t, signing.StatusRejected, res.Status)
	requireTruth(t, in, res)
	require.Equal(t, arqsignsim.RejectReason, res.Reason)
	require.Equal(t, "bruno@example.com", res.RejectedBy.Email)
}

func TestProviderCancel(t *testing.T) {
	in, wait := startProcess(t, arqsignsim.ScenarioCancel, fastPolicy)
	res := wait()
	require.Equal(t, signing.StatusCancelled, res.Status)
	requireTruth(t, in, res)
	require.Zero(t, simProcess(t, res.ProviderRef).Counts.Cancels, "the provider cancelled; firmaflow made no call")
}

func TestUserCancelThroughUpdate(t *testing.T) {
	in, wait := startProcess(t, arqsignsim.ScenarioManual, fastPolicy)
	ctx := context.Background()
	var st signing.State
	require.Eventually(t, func() bool {
		var err error
		st, err = processes.State(ctx, stack.Client, in.ProcessID)
		return err == nil && st.Status == signing.StatusAwaitingSignatures
	}, 30*time.Second, 50*time.Millisecond)
	st, err := processes.Cancel(ctx, stack.Client, in.ProcessID, "customer withdrew")
	require.NoError(t, err)
	require.Equal(t, signing.StatusCancelled, st.Status)
	res := wait()
	require.Equal(t, "cancelled by requester: customer withdrew", res.Reason)
	requireTruth(t, in, res)
	require.Equal(t, 1, simProcess(t, res.ProviderRef).Counts.Cancels)

	_, err = processes.Cancel(ctx, stack.Client, in.ProcessID, "again")
	require.Error(t, err, "a process that ended cannot be cancelled")
}

func postArqSIGN(t *testing.T, body []byte, sig string) *http.Response {
	req, _ := http.NewRequest(http.MethodPost, stack.BridgeURL+"/webhooks/arqsign/monitoring", bytes.NewReader(body))
	req.Header.Set("HMAC", sig)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp
}

func signedWebhook(ref string) []byte {
	return []byte(`{"evento":"Processo assinado por algum signatário","idEvento":3,"idProcesso":"` + ref +
		`","dataHoraAtual":"21/11/2026 10:00:00","signatarios":[{"id":"x","nome":"Ana","email":"ana@example.com","assinado":true}]}`)
}

func TestBridgeRefusesBadInput(t *testing.T) {
	body := signedWebhook("00000000-dead-beef-0000-000000000001")
	require.Equal(t, http.StatusUnauthorized, postArqSIGN(t, body, arqsign.Sign(body, "wrong secret")).StatusCode)
	require.Equal(t, http.StatusBadRequest, postArqSIGN(t, []byte(`{"idEvento":`), arqsign.Sign([]byte(`{"idEvento":`), arqsign.DevWebhookSecret)).StatusCode)
	_, err := stack.Client.DescribeWorkflowExecution(context.Background(), routing.RouteWorkflowID("arqsign", "00000000-dead-beef-0000-000000000001"), "")
	require.Error(t, err, "a refused webhook starts nothing")
}

// An event whose owner is not registered yet is held durably on its route,
// marked unclaimed after the claim window, and handed over once a signing
// process registers as the owner.
func TestEarlyEventIsHeldUntilItsOwnerAppears(t *testing.T) {
	ctx := context.Background()
	ref := "early-" + processes.NewProcessID()
	body := signedWebhook(ref)
	require.Equal(t, http.StatusOK, postArqSIGN(t, body, arqsign.Sign(body, arqsign.DevWebhookSecret)).StatusCode,
		"held durably, so the provider may stop retrying")
	route := routing.RouteWorkflowID("arqsign", ref)
	require.Eventually(t, func() bool {
		resp, err := stack.Client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query: fmt.Sprintf("WorkflowId = '%s' AND SigningStatus = '%s' AND SigningProviderRef = '%s'", route, workflows.RouteUnclaimed, ref),
		})
		return err == nil && len(resp.GetExecutions()) == 1
	}, 30*time.Second, 100*time.Millisecond, "unclaimed events stay visible to operators")

	// A process that owns ref appears (archive-only, as the bridge starts
	// them, so nothing is sent) and registers, as a send does before it
	// returns.
	in, run := startArchiveOnly(t, arqsign.Name, ref)
	require.NoError(t, routing.RegisterOwner(ctx, stack.Client, stack.Config.Temporal.TaskQueue, arqsign.Name, ref, run.GetID()))
	require.Eventually(t, func() bool {
		st, err := processes.State(ctx, stack.Client, in.ProcessID)
		return err == nil && len(st.Signers) == 0 && len(st.Events) == 1 && st.Events[0].Type == signing.EventSignerSigned
	}, 60*time.Second, 100*time.Millisecond, "the held event reaches its owner")
	v, err := stack.Client.QueryWorkflow(ctx, route, "", signing.QueryState)
	require.NoError(t, err)
	var st struct {
		Status    string `json:"status"`
		Owner     string `json:"owner"`
		Forwarded int    `json:"forwarded"`
	}
	require.NoError(t, v.Get(&st))
	require.Equal(t, workflows.RouteRouted, st.Status)
	require.Equal(t, run.GetID(), st.Owner)
	require.Equal(t, 1, st.Forwarded)
	require.NoError(t, stack.Client.TerminateWorkflow(ctx, run.GetID(), "", "test done"))
	require.NoError(t, stack.Client.TerminateWorkflow(ctx, route, "", "test done"))
	recordHistory(t, "route", "early", route, "")
}

func TestHTTPAPIStartsAndReadsAProcess(t *testing.T) {
	ctx := context.Background()
	id := processes.NewProcessID()
	call := func(method, path, token string, body io.Reader) *http.Response {
		req, _ := http.NewRequestWithContext(ctx, method, stack.BridgeURL+path, body)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		return resp
	}
	resp := call(http.MethodPut, "/api/v1/documents/"+id+"/contract.pdf", "wrong", strings.NewReader("%PDF-1.4\n"))
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	resp = call(http.MethodPut, "/api/v1/documents/"+id+"/contract.pdf", devstack.DevAPIToken, strings.NewReader("%PDF-1.4\napi\n%%EOF\n"))
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	var ref signing.DocumentRef
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&ref))
	resp.Body.Close()

	in := signing.Input{ProcessID: id, Provider: "arqsign", Title: "API [sim:sign]", Documents: []signing.DocumentRef{ref},
		Signers: []signing.Signer{{Name: "Ana", Email: "ana@example.com"}}}
	body, _ := json.Marshal(in)
	resp = call(http.MethodPost, "/api/v1/processes", devstack.DevAPIToken, bytes.NewReader(body))
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	var first, again map[string]string
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&first))
	resp.Body.Close()
	resp = call(http.MethodPost, "/api/v1/processes", devstack.DevAPIToken, bytes.NewReader(body))
	require.Equal(t, http.StatusAccepted, resp.StatusCode, "a retried start with the same input returns the process")
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&again))
	resp.Body.Close()
	require.Equal(t, first["run_id"], again["run_id"], "a process id starts one process")
	in.Title = "API, another title [sim:sign]"
	other, _ := json.Marshal(in)
	resp = call(http.MethodPost, "/api/v1/processes", devstack.DevAPIToken, bytes.NewReader(other))
	require.Equal(t, http.StatusConflict, resp.StatusCode, "another input under the id is a conflict")
	resp.Body.Close()

	require.Eventually(t, func() bool {
		resp := call(http.MethodGet, "/api/v1/processes/"+id, devstack.DevAPIToken, nil)
		defer resp.Body.Close()
		var st signing.State
		return resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&st) == nil && st.Status == signing.StatusCompleted
	}, time.Minute, 100*time.Millisecond)
	// Once the run has closed, Temporal answers a cancel update NotFound;
	// the API tells "ended" (409) from "unknown" (404).
	require.NoError(t, stack.Client.GetWorkflow(ctx, signing.WorkflowID(id), "").Get(ctx, nil))
	resp = call(http.MethodPost, "/api/v1/processes/"+id+"/cancel", devstack.DevAPIToken, strings.NewReader(`{"reason":"too late"}`))
	require.Equal(t, http.StatusConflict, resp.StatusCode, "cancel after the end")
	resp.Body.Close()
	resp = call(http.MethodPost, "/api/v1/processes/never-"+id+"/cancel", devstack.DevAPIToken, strings.NewReader(`{"reason":"x"}`))
	require.Equal(t, http.StatusNotFound, resp.StatusCode, "cancel of an unknown process")
	resp.Body.Close()
}

// recordHistory writes a finished run's history for the replay tests when
// FIRMAFLOW_RECORD_HISTORIES names a directory (see workflows/replay_test.go).
func recordHistory(t testing.TB, provider, scenario, workflowID, runID string) {
	dir := os.Getenv("FIRMAFLOW_RECORD_HISTORIES")
	if dir == "" {
		return
	}
	iter := stack.Client.GetWorkflowHistory(context.Background(), workflowID, runID, false, 0)
	var hist historypb.History
	for iter.HasNext() {
		ev, err := iter.Next()
		require.NoError(t, err)
		hist.Events = append(hist.Events, ev)
	}
	raw, err := protojson.MarshalOptions{Indent: "  "}.Marshal(&hist)
	require.NoError(t, err)
	name := provider + "-" + strings.ReplaceAll(scenario, ",", "-") + "-" + strings.TrimPrefix(t.Name(), "Test") + ".json"
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), raw, 0o644))
}

func TestRedeliveredWebhookHasNoSecondEffect(t *testing.T) {
	in, wait := startProcess(t, arqsignsim.ScenarioManual, fastPolicy)
	ctx := context.Background()
	var st signing.State
	require.Eventually(t, func() bool {
		var err error
		st, err = processes.State(ctx, stack.Client, in.ProcessID)
		return err == nil && st.ProviderRef != "" && st.Status == signing.StatusAwaitingSignatures
	}, 30*time.Second, 50*time.Millisecond)
	// ArqSIGN redelivers the same "signed" notification (a new dataHoraAtual each time).
	for range 2 {
		resp, err := http.Post(stack.SimURLs[arqsign.Name]+"/sim/processes/"+st.ProviderRef+"/trigger/3", "application/json", nil)
		require.NoError(t, err)
		var out map[string]bool
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
		resp.Body.Close()
		require.True(t, out["delivered"])
	}
	// Wait for both signed notifications: the "sent" one (held in an inbox
	// when it beats the send's answer) may land at any point among them.
	effects := map[string]int{}
	require.Eventually(t, func() bool {
		st, _ = processes.State(ctx, stack.Client, in.ProcessID)
		effects = map[string]int{}
		for _, e := range st.Events {
			if e.Type == signing.EventSignerSigned {
				effects[e.Effect]++
			}
		}
		return effects["applied"]+effects["duplicate"] >= 2
	}, 10*time.Second, 50*time.Millisecond)
	require.Equal(t, map[string]int{"applied": 1, "duplicate": 1}, effects)
	_, err := processes.Cancel(ctx, stack.Client, in.ProcessID, "test done")
	require.NoError(t, err)
	require.Equal(t, signing.StatusCancelled, wait().Status)
}

func TestLostCompletionWebhookIsReconciled(t *testing.T) {
	ctx := context.Background()
	id := processes.NewProcessID()
	doc, err := stack.Store.Put(ctx, "inbox/"+id+"/c.pdf", strings.NewReader("%PDF-1.4\nlost\n%%EOF\n"), "application/pdf")
	require.NoError(t, err)
	in := signing.Input{ProcessID: id, Provider: arqsign.Name, Title: "Lost [sim:" + arqsignsim.ScenarioLostCompletion + "]",
		Documents: []signing.DocumentRef{{Name: "c.pdf", Key: doc.Key}}, Signers: []signing.Signer{{Name: "Ana", Email: "ana@example.com"}},
		ReconcileEvery: signing.Duration(300 * time.Millisecond)}
	run, err := processes.Start(ctx, stack.Client, stack.Config.Temporal.TaskQueue, in)
	require.NoError(t, err)
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	res, err := processes.Result(wctx, run)
	require.NoError(t, err)
	require.Equal(t, signing.StatusCompleted, res.Status, "completed although the completion webhook never came")
	requireTruth(t, in, res)
	view := simProcess(t, res.ProviderRef)
	require.Equal(t, view.SignedSHA256[0], res.Documents[0].SHA256)
	require.NotContains(t, view.Webhooks, 8)
}
