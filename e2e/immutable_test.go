package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/firmaflow/firmaflow/providers/arqsign"
	"github.com/firmaflow/firmaflow/signing"
	"github.com/firmaflow/firmaflow/simulators/arqsignsim"
)

// TestRePostedCompletionAfterTheEndKeepsTheResult: a correctly signed
// ArqSIGN completion re-posted after the process ended, with other Base64
// bytes under the same document names, is acknowledged (the process has
// ended) and changes nothing the result recorded. It used to be stored
// over the key the result named, so the result's sha256 no longer matched
// the store.
func TestRePostedCompletionAfterTheEndKeepsTheResult(t *testing.T) {
	in, wait := startProcess(t, arqsignsim.ScenarioSign+",base64", fastPolicy)
	res := wait()
	require.Equal(t, signing.StatusCompleted, res.Status)
	require.Len(t, res.Documents, 2)

	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	body, err := json.Marshal(map[string]any{
		"evento": "Processo assinado/concluído por todos os signatários", "idEvento": arqsign.TriggerCompleted,
		"idProcesso": res.ProviderRef, "dataHoraAtual": "30/11/2026 12:00:00",
		"documentos": []map[string]any{{
			"nomeDocumento": res.Documents[0].Name, "base64Documento": b64("%PDF-1.4\nforged\n%%EOF\n"),
			"registroAssinaturas": map[string]any{"nome": res.Documents[1].Name, "base64": b64("%PDF-1.4\nforged record\n%%EOF\n")},
		}},
	})
	require.NoError(t, err)
	resp := postArqSIGN(t, body, arqsign.Sign(body, arqsign.DevWebhookSecret))
	require.Equal(t, http.StatusOK, resp.StatusCode, "acknowledged: the process has ended")

	for _, doc := range res.Documents {
		stored, err := stack.Store.Describe(context.Background(), doc.Key)
		require.NoError(t, err)
		require.Equal(t, doc.SHA256, stored.SHA256, "the store still holds what the result recorded at %s", doc.Key)
	}
	requireTruth(t, in, res)
}
