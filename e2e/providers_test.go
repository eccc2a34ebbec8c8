package e2e

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/firmaflow/firmaflow/internal/devstack"
	"github.com/firmaflow/firmaflow/providers/contractualis"
	"github.com/firmaflow/firmaflow/signing"
	"github.com/firmaflow/firmaflow/simulators/contractualissim"
	"github.com/firmaflow/firmaflow/starter/processes"
)

func TestContractualisCompletesWithVerifiedEvidence(t *testing.T) {
	_, wait := startOn(t, contractualis.Name, contractualissim.ScenarioSign, fastPolicy)
	res := wait()
	require.Equal(t, signing.StatusCompleted, res.Status)
	require.Len(t, res.Documents, 4, "signed document, NOM-151 record, certificate, audit trail")
	view, ok := stack.Contractualis.Process(res.ProviderRef)
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
	require.Equal(t, signing.StatusCompleted, res.Status)
	view, _ := stack.Contractualis.Process(res.ProviderRef)
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
		req, _ := http.NewRequest(http.MethodPost, stack.BridgeURL+"/webhooks/contractualis?token="+devstack.DevContractualisSecret, bytes.NewReader(b))
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
	resp, err := http.Post(stack.BridgeURL+"/webhooks/contractualis?token="+devstack.DevContractualisSecret, "application/json", bytes.NewReader(b))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Equal(t, signing.StatusAwaitingTokens, state().Status)

	// Contractualis can cancel only drafts; this one still is.
	_, err = processes.Cancel(ctx, stack.Client, in.ProcessID, "seed test done")
	require.NoError(t, err)
	require.Equal(t, signing.StatusCancelled, wait().Status)
}
