package arqsignsim_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/firmaflow/firmaflow/providers/arqsign"
	"github.com/firmaflow/firmaflow/simulators/arqsignsim"
	"github.com/firmaflow/firmaflow/simulators/simkit"
)

// TestLedgerIsTheGroundTruth drives a delivery-failure process by hand and
// reads the ledger in-process and at GET /sim/ledger.
func TestLedgerIsTheGroundTruth(t *testing.T) {
	var refused atomic.Int32
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if refused.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable) // the first delivery is redelivered
		}
	}))
	defer hook.Close()
	sim := arqsignsim.New(arqsignsim.Options{WebhookURL: hook.URL, StepDelay: time.Millisecond, RetryBackoff: time.Millisecond,
		Logger: slog.New(slog.DiscardHandler)})
	api := httptest.NewServer(sim.Handler())
	defer func() { api.Close(); sim.Close() }()

	req := arqsign.SendRequest{IDResponsavel: "u", NomeProcesso: "Contrato [sim:delivery-failure]", IDPasta: "f",
		Destinatarios: []arqsign.Recipient{{IDTipoAcao: 1, Nome: "Ana", Email: "ana@x"}, {IDTipoAcao: 1, Nome: "Bruno", Email: "bruno@x"}},
		Documentos:    []arqsign.Document{{NomeComExtensao: "c.pdf", Arquivo: base64.StdEncoding.EncodeToString([]byte("%PDF-1.4 c"))}}}
	body, _ := json.Marshal(req)
	resp, err := http.Post(api.URL+"/api/v2/processo/enviar-documento-para-assinar", "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	var sent struct {
		ID string `json:"idProcesso"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&sent))
	resp.Body.Close()

	require.Eventually(t, func() bool {
		l, _ := sim.LedgerOf(sent.ID)
		return len(l.Signers) == 2 && l.Signers[1].Status == simkit.SignerDeliveryFailed
	}, 5*time.Second, 5*time.Millisecond)
	patch, _ := http.NewRequest(http.MethodPatch, api.URL+"/api/v2/processo/"+sent.ID+"/reenviar-processo", nil)
	resp, err = http.DefaultClient.Do(patch)
	require.NoError(t, err)
	resp.Body.Close()
	require.Eventually(t, func() bool {
		l, _ := sim.LedgerOf(sent.ID)
		return l.Outcome == simkit.OutcomeCompleted && len(l.Webhooks) == 6
	}, 5*time.Second, 5*time.Millisecond)
	resp, err = http.Get(api.URL + "/sim/files/" + sent.ID + "/0/signed")
	require.NoError(t, err)
	served, _ := io.ReadAll(resp.Body)
	resp.Body.Close()

	// GET /sim/ledger serves the same truth as JSON.
	resp, err = http.Get(api.URL + "/sim/ledger")
	require.NoError(t, err)
	var all []simkit.ProcessLedger
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&all))
	resp.Body.Close()
	require.Len(t, all, 1)
	l := all[0]
	require.Equal(t, sent.ID, l.Ref)
	require.Equal(t, "delivery-failure", l.Scenario)
	require.Equal(t, simkit.OutcomeCompleted, l.Outcome)
	require.Equal(t, simkit.SignerSigned, l.Signers[0].Status)
	require.Equal(t, simkit.SignerSigned, l.Signers[1].Status)
	require.Equal(t, 1, l.CallCount(simkit.CallSend))
	require.Equal(t, 1, l.CallCount(simkit.CallResend))
	var kinds []string
	for _, w := range l.Webhooks {
		kinds = append(kinds, w.Kind)
		require.True(t, w.Delivered())
	}
	require.Equal(t, []string{simkit.EventInfo, simkit.EventDeliveryFailed, simkit.EventInfo, simkit.EventSigned, simkit.EventSigned, simkit.EventCompleted}, kinds)
	require.Equal(t, 2, l.Webhooks[0].Attempts, "the refused first delivery was redelivered")
	require.Equal(t, "bruno@x", l.Webhooks[1].Signer)
	require.Len(t, l.Documents, 2)
	require.Equal(t, "signed", l.Documents[0].Kind)
	require.Len(t, l.Downloads, 1)
	require.Equal(t, simkit.SHA256(served), l.Downloads[0].SHA256)
	require.Equal(t, l.Documents[0].SHA256, l.Downloads[0].SHA256, "what was served is what was issued")
	require.EqualValues(t, len(served), l.Documents[0].Size)
}
