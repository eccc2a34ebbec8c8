package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/firmaflow/firmaflow/internal/simulated"
	"github.com/firmaflow/firmaflow/providers/arqsign"
	"github.com/firmaflow/firmaflow/providers/autosign"
	"github.com/firmaflow/firmaflow/providers/cellosign"
	"github.com/firmaflow/firmaflow/providers/contractualis"
	"github.com/firmaflow/firmaflow/signing"
	"github.com/firmaflow/firmaflow/simulators/autosignsim"
	"github.com/firmaflow/firmaflow/simulators/cellosignsim"
	"github.com/firmaflow/firmaflow/simulators/contractualissim"
	"github.com/firmaflow/firmaflow/starter/processes"
)

func TestContractualisCompletesWithVerifiedEvidence(t *testing.T) {
	in, wait := startOn(t, contractualis.Name, contractualissim.ScenarioSign, fastPolicy)
	res := wait()
	requireTruth(t, in, res)
	require.Equal(t, signing.StatusCompleted, res.Status)
	require.Len(t, res.Documents, 4, "signed document, NOM-151 record, certificate, audit trail")
	view, ok := simulated.Contractualis(stack).Process(res.ProviderRef)
	require.True(t, ok)
	require.Equal(t, view.SignedSHA256[0], res.Documents[0].SHA256)
	stored, err := stack.Store.Describe(context.Background(), res.Documents[0].Key)
	require.NoError(t, err)
	require.Equal(t, view.SignedSHA256[0], stored.SHA256)
	require.Equal(t, 1, view.Counts.TokensSpent)
}

func TestContractualisWaitsForTokensThenFinishesOnce(t *testing.T) {
	in, wait := startOn(t, contractualis.Name, contractualissim.ScenarioNoTokens, fastPolicy)
	res := wait()
	requireTruth(t, in, res)
	require.Equal(t, signing.StatusCompleted, res.Status)
	view, _ := simulated.Contractualis(stack).Process(res.ProviderRef)
	require.Equal(t, 1, view.Counts.TokensSpent, "no token is spent twice for one document")
	require.Equal(t, 1, view.Counts.FinishCalls)
	st, err := processes.State(context.Background(), stack.Client, in.ProcessID)
	require.NoError(t, err)
	require.True(t, st.FinishedWithTokens)
	require.GreaterOrEqual(t, st.TokenChecks, 2)
	seen := false
	for _, e := range st.Events {
		seen = seen || e.Type == signing.EventAwaitingTokens
	}
	require.True(t, seen, "the account-wide notokens event reached the process")
}

// TestContractualisSeedPayloadsReachState posts the provider's own sample
// payloads (ids and links swapped for the running process's) to the bridge
// and checks each one's effect on the workflow's state.
func TestContractualisSeedPayloadsReachState(t *testing.T) {
	in, wait := startOn(t, contractualis.Name, contractualissim.ScenarioManual, fastPolicy)
	ctx := context.Background()
	var st signing.State
	require.Eventually(t, func() bool {
		st, _ = processes.State(ctx, stack.Client, in.ProcessID)
		return st.ProviderRef != "" && st.Status == signing.StatusAwaitingSignatures
	}, 30*time.Second, 20*time.Millisecond)
	post := func(name string, replace ...string) {
		b, err := os.ReadFile(filepath.Join("..", "providers", "contractualis", "testdata", "webhooks", name+".json"))
		require.NoError(t, err)
		b = bytes.ReplaceAll(b, []byte("fj378h2ghjs0fj3jdff7dksam=="), []byte(st.ProviderRef))
		for i := 0; i+1 < len(replace); i += 2 {
			b = bytes.ReplaceAll(b, []byte(replace[i]), []byte(replace[i+1]))
		}
		req, _ := http.NewRequest(http.MethodPost, stack.BridgeURL+"/webhooks/contractualis?token="+contractualis.DevWebhookSecret, bytes.NewReader(b))
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, name)
	}
	state := func() signing.State {
		st, err := processes.State(ctx, stack.Client, in.ProcessID)
		require.NoError(t, err)
		return st
	}
	post("document.signed", "luisgarcia@email.com", in.Signers[0].Email)
	require.Eventually(t, func() bool { return state().Signers[0].Status == signing.SignerSigned }, 10*time.Second, 20*time.Millisecond)
	post("document.sended")
	require.Eventually(t, func() bool { s := state(); return s.Events[len(s.Events)-1].Type == signing.EventSealing }, 10*time.Second, 20*time.Millisecond)
	post("account.notokens")
	require.Eventually(t, func() bool { return state().Status == signing.StatusAwaitingTokens }, 10*time.Second, 20*time.Millisecond)

	// The sample completion's links are placeholders, not URLs: the bridge
	// refuses it (4xx) and the state does not move. The same event with real
	// links is what TestContractualisCompletesWithVerifiedEvidence receives.
	b, err := os.ReadFile(filepath.Join("..", "providers", "contractualis", "testdata", "webhooks", "document.completed.json"))
	require.NoError(t, err)
	b = bytes.ReplaceAll(b, []byte("fj378h2ghjs0fj3jdff7dksam=="), []byte(st.ProviderRef))
	resp, err := http.Post(stack.BridgeURL+"/webhooks/contractualis?token="+contractualis.DevWebhookSecret, "application/json", bytes.NewReader(b))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Equal(t, signing.StatusAwaitingTokens, state().Status)

	// Contractualis can cancel only drafts; this one still is.
	_, err = processes.Cancel(ctx, stack.Client, in.ProcessID, "seed test done")
	require.NoError(t, err)
	require.Equal(t, signing.StatusCancelled, wait().Status)
}

func TestAutosignCompletesAndEndsAsTheProviderSays(t *testing.T) {
	in, wait := startOn(t, autosign.Name, autosignsim.ScenarioSign, fastPolicy)
	res := wait()
	require.Equal(t, signing.StatusCompleted, res.Status)
	requireTruth(t, in, res)
	view, ok := simulated.Autosign(stack).Process(res.ProviderRef)
	require.True(t, ok)
	require.Equal(t, view.SignedSHA256[0], res.Documents[0].SHA256)
	require.Equal(t, 1, view.Counts.Downloads)

	in, wait = startOn(t, autosign.Name, autosignsim.ScenarioReject, fastPolicy)
	res = wait()
	require.Equal(t, signing.StatusRejected, res.Status)
	requireTruth(t, in, res)
	require.Equal(t, autosignsim.RejectReason, res.Reason)

	// Autosign cannot renew: an expiry ends the process, with the reason.
	in, wait = startOn(t, autosign.Name, autosignsim.ScenarioExpire, fastPolicy)
	res = wait()
	require.Equal(t, signing.StatusExpired, res.Status)
	requireTruth(t, in, res)
	require.Contains(t, res.Reason, "not supported")
}

// TestAutosignSeedPayloadsReachState posts Autosign's own sample payloads
// (transaction id swapped for the running process's) to the bridge and
// checks each one's effect on the workflow's state.
func TestAutosignSeedPayloadsReachState(t *testing.T) {
	ctx := context.Background()
	post := func(name, ref string) {
		b, err := os.ReadFile(filepath.Join("..", "providers", "autosign", "testdata", "webhooks", name+".json"))
		require.NoError(t, err)
		for _, seedRef := range []string{"clsowe02i00053ol94bo3wl1q", "clsoxls930005exxdrxiuc5to", "clsowfhnx000c3ol9gtwp3wcl", "clsoy7hh70005bt77pasujcpy"} {
			b = bytes.ReplaceAll(b, []byte(seedRef), []byte(ref))
		}
		resp, err := http.Post(stack.BridgeURL+"/webhooks/autosign?token="+autosign.DevWebhookSecret, "application/json", bytes.NewReader(b))
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, name)
	}
	start := func() (signing.Input, func() signing.Result, signing.State) {
		in, wait := startOn(t, autosign.Name, autosignsim.ScenarioManual, fastPolicy)
		var st signing.State
		require.Eventually(t, func() bool {
			st, _ = processes.State(ctx, stack.Client, in.ProcessID)
			return st.ProviderRef != "" && st.Status == signing.StatusAwaitingSignatures
		}, 30*time.Second, 20*time.Millisecond)
		return in, wait, st
	}
	hasEvent := func(id string, typ signing.EventType) func() bool {
		return func() bool {
			st, _ := processes.State(ctx, stack.Client, id)
			for _, e := range st.Events {
				if e.Type == typ {
					return true
				}
			}
			return false
		}
	}
	in, wait, st := start()
	for name, typ := range map[string]signing.EventType{"transaction_created": signing.EventCreated, "transaction_started": signing.EventStarted, "recipient_submitted": signing.EventSignerSigned} {
		post(name, st.ProviderRef)
		require.Eventually(t, hasEvent(in.ProcessID, typ), 10*time.Second, 20*time.Millisecond, name)
	}
	post("transaction_cancelled", st.ProviderRef)
	res := wait()
	require.Equal(t, signing.StatusCancelled, res.Status)
	require.Equal(t, "Campos incorrectos en el documento", res.Reason)

	for name, want := range map[string]signing.Status{"transaction_rejected": signing.StatusRejected, "transaction_expired": signing.StatusExpired} {
		_, wait, st := start()
		post(name, st.ProviderRef)
		require.Equal(t, want, wait().Status, name)
	}
	// The completion sample names a sealed document the simulator does not
	// hold (404): the process fails, saying the fetch failed.
	_, wait, st = start()
	post("transaction_completed", st.ProviderRef)
	err := stack.Client.GetWorkflow(ctx, signing.WorkflowID(st.ProcessID), "").Get(ctx, nil)
	require.ErrorContains(t, err, "fetch")
	final, err := processes.State(ctx, stack.Client, st.ProcessID)
	require.NoError(t, err)
	require.Equal(t, signing.StatusFailed, final.Status)
}

func TestCelloSignArchiveCompletesTheProcess(t *testing.T) {
	in, wait := startOn(t, cellosign.Name, cellosignsim.ScenarioSign, fastPolicy)
	res := wait()
	require.Equal(t, signing.StatusCompleted, res.Status)
	requireTruth(t, in, res)
	require.Equal(t, in.ProcessID, res.ProviderRef, "CelloSign's reference is the process id")
	view, ok := simulated.CelloSign(stack).Process(in.ProcessID)
	require.True(t, ok)
	require.Equal(t, view.SignedSHA256[0], res.Documents[0].SHA256, "stored bytes are what the archive carried")
	require.Len(t, res.Documents, 2, "signed document and the attachment")
}

// An archive of a process firmaflow never sent starts an archive-only
// SigningProcess (SignalWithStart), so it lands durably too.
func TestCelloSignArchiveOfAnOutsideProcessLandsDurably(t *testing.T) {
	ctx := context.Background()
	ref := "outside-" + processes.NewProcessID()
	ok, err := simulated.CelloSign(stack).PostArchive(ctx, ref)
	require.NoError(t, err)
	require.True(t, ok, "the bridge answered {\"status\":\"0\"}")
	id := signing.ArchiveProcessID(cellosign.Name, ref)
	var res signing.Result
	require.NoError(t, stack.Client.GetWorkflow(ctx, signing.WorkflowID(id), "").Get(ctx, &res))
	require.Equal(t, signing.StatusCompleted, res.Status)
	view, _ := simulated.CelloSign(stack).Process(ref)
	require.Equal(t, view.SignedSHA256[0], res.Documents[0].SHA256)
	// The same archive again (CelloSign's redelivery) changes nothing.
	ok, err = simulated.CelloSign(stack).PostArchive(ctx, ref)
	require.NoError(t, err)
	require.True(t, ok)
}

// TestDemoInputOnEveryProvider runs examples/arqsign-demo.json with only its
// provider field changed: the same process completes on all four.
func TestDemoInputOnEveryProvider(t *testing.T) {
	ctx := context.Background()
	raw, err := os.ReadFile(filepath.Join("..", "examples", "arqsign-demo.json"))
	require.NoError(t, err)
	pdf, err := os.ReadFile(filepath.Join("..", "examples", "contract.pdf"))
	require.NoError(t, err)
	for _, provider := range []string{arqsign.Name, contractualis.Name, autosign.Name, cellosign.Name} {
		var in signing.Input
		require.NoError(t, json.Unmarshal(raw, &in))
		in.Provider, in.ProcessID = provider, "demo-"+provider+"-"+processes.NewProcessID()
		in.Resend.Backoff = signing.Duration(200 * time.Millisecond)
		doc, err := stack.Store.Put(ctx, "inbox/"+in.ProcessID+"/contract.pdf", bytes.NewReader(pdf), "application/pdf")
		require.NoError(t, err)
		in.Documents[0].Key = doc.Key
		run, err := processes.Start(ctx, stack.Client, stack.Config.Temporal.TaskQueue, in)
		require.NoError(t, err)
		wctx, cancel := context.WithTimeout(ctx, time.Minute)
		res, err := processes.Result(wctx, run)
		cancel()
		require.NoError(t, err, provider)
		require.Equal(t, signing.StatusCompleted, res.Status, provider)
		require.NotEmpty(t, res.Documents, provider)
	}
}

// TestCelloSignSeedArchiveThroughTheBridge posts the seed's sample archive:
// verbatim (its "BASE64 file content" placeholders are not Base64) it is
// refused with CelloSign's error answer and no effect; with real content
// and a running process's reference it completes that process.
func TestCelloSignSeedArchiveThroughTheBridge(t *testing.T) {
	ctx := context.Background()
	in, wait := startOn(t, cellosign.Name, cellosignsim.ScenarioManual, fastPolicy)
	require.Eventually(t, func() bool {
		st, err := processes.State(ctx, stack.Client, in.ProcessID)
		return err == nil && st.Status == signing.StatusAwaitingSignatures
	}, 30*time.Second, 20*time.Millisecond)
	post := func(file string) (*http.Response, map[string]any) {
		b, err := os.ReadFile(filepath.Join("..", "providers", "cellosign", "testdata", "webhooks", file))
		require.NoError(t, err)
		b = bytes.ReplaceAll(b, []byte("f51c66ba-d33a-4c59-b63a-aa270383fb9e"), []byte(in.ProcessID))
		req, _ := http.NewRequest(http.MethodPost, stack.BridgeURL+"/webhooks/cellosign", bytes.NewReader(b))
		req.Header.Set("X-Firmaflow-Token", cellosign.DevWebhookSecret)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var ans map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&ans))
		return resp, ans
	}
	resp, ans := post("archive-seed.json")
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Equal(t, "-1", ans["status"])
	require.NotEmpty(t, ans["errordesc"])
	st, err := processes.State(ctx, stack.Client, in.ProcessID)
	require.NoError(t, err)
	require.Equal(t, signing.StatusAwaitingSignatures, st.Status)

	resp, ans = post("archive-valid.json")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "0", ans["status"])
	res := wait()
	require.Equal(t, signing.StatusCompleted, res.Status)
	require.Equal(t, "SIGNEDDOCUMENT.pdf", res.Documents[0].Name)
}
