package arqsignsim_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/firmaflow/firmaflow/providers/arqsign"
	"github.com/firmaflow/firmaflow/simulators/arqsignsim"
)

// Every scenario the simulator plays is one it accepts: "early" was played
// but missing from the known list, so its sends were refused with 400.
func TestEveryScenarioIsAccepted(t *testing.T) {
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.Copy(io.Discard, r.Body) }))
	defer hook.Close()
	sim := arqsignsim.New(arqsignsim.Options{WebhookURL: hook.URL, StepDelay: time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	api := httptest.NewServer(sim.Handler())
	defer func() { api.Close(); sim.Close() }()
	for _, name := range append([]string{arqsignsim.ScenarioEarly}, arqsignsim.Scenarios...) {
		req := arqsign.SendRequest{IDResponsavel: "u", NomeProcesso: "Contrato [sim:" + name + "]", IDPasta: "f",
			Destinatarios: []arqsign.Recipient{{IDTipoAcao: 1, Nome: "Ana", Email: "ana@x"}},
			Documentos:    []arqsign.Document{{NomeComExtensao: "c.pdf", Arquivo: base64.StdEncoding.EncodeToString([]byte("%PDF-1.4 c"))}}}
		body, _ := json.Marshal(req)
		resp, err := http.Post(api.URL+"/api/v2/processo/enviar-documento-para-assinar", "application/json", bytes.NewReader(body))
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, name)
	}
}
