package loadtest

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/sethvargo/go-envconfig"
	"github.com/stretchr/testify/require"

	"github.com/firmaflow/firmaflow/internal/app"
	"github.com/firmaflow/firmaflow/internal/modules"
	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/signing"
	"github.com/firmaflow/firmaflow/webhookbridge"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// testProviders are the providers as a deployment configures them, with
// webhook secrets.
func testProviders(t *testing.T) (*providers.Registry, map[string]string) {
	t.Helper()
	cfg, err := modules.LoadFrom(context.Background(), envconfig.MapLookuper(map[string]string{
		"ARQSIGN_WEBHOOK_SECRET": "arq-secret", "AUTOSIGN_WEBHOOK_SECRET": "auto-secret",
		"AUTOSIGN_CLIENT_ID": "id", "AUTOSIGN_CLIENT_SECRET": "secret", "AUTOSIGN_REFRESH_TOKEN": "refresh",
	}), modules.All)
	require.NoError(t, err)
	reg, secrets, err := app.Providers(cfg, quiet)
	require.NoError(t, err)
	return reg, secrets
}

// recorder is a bridge deliverer that keeps what it was handed.
type recorder struct {
	mu     sync.Mutex
	events []signing.Event
}

func (r *recorder) Deliver(_ context.Context, ev signing.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
	return nil
}

func TestWrittenWebhooksPassTheBridgeAsTheRawEvents(t *testing.T) {
	reg, secrets := testProviders(t)
	for _, provider := range IngestProviders {
		t.Run(provider, func(t *testing.T) {
			rec := &recorder{}
			bridge := webhookbridge.New(webhookbridge.Options{Providers: reg, Secrets: secrets, Deliverer: rec, Logger: quiet})
			w, err := newWebhookWriter(provider, secrets[provider], "run1", reg)
			require.NoError(t, err)
			keys := map[string]bool{}
			for n := range 3 {
				req, err := w.request("proc-42", "ref-42", n)
				require.NoError(t, err)
				httpReq := httptest.NewRequest(http.MethodPost, req.path, bytes.NewReader(req.body))
				httpReq.Header = req.header.Clone()
				resp := httptest.NewRecorder()
				bridge.Handler().ServeHTTP(resp, httpReq)
				require.Equal(t, http.StatusOK, resp.Code, resp.Body.String())

				want, err := w.event(context.Background(), "proc-42", "ref-42", n)
				require.NoError(t, err)
				got := rec.events[len(rec.events)-1]
				require.Equal(t, want, got, "the raw phase signals what the bridge makes of the same webhook")
				require.Equal(t, "ref-42", got.ProviderRef)
				require.Contains(t, []signing.EventType{signing.EventStarted, signing.EventResent}, got.Type, "an event that never ends a process")
				keys[got.Key] = true
			}
			require.Len(t, keys, 3, "each webhook is its own event, never a duplicate")

			forged, err := newWebhookWriter(provider, "not-the-secret", "run1", reg)
			require.NoError(t, err)
			req, err := forged.request("proc-42", "ref-42", 7)
			require.NoError(t, err)
			httpReq := httptest.NewRequest(http.MethodPost, req.path, bytes.NewReader(req.body))
			httpReq.Header = req.header.Clone()
			resp := httptest.NewRecorder()
			bridge.Handler().ServeHTTP(resp, httpReq)
			require.Equal(t, http.StatusUnauthorized, resp.Code, "the webhooks are authenticated like the provider's")
		})
	}
}

func TestWebhookWriterRefusesWhatItCannotWrite(t *testing.T) {
	reg, secrets := testProviders(t)
	_, err := newWebhookWriter("cellosign", "x", "run", reg)
	require.ErrorContains(t, err, "writes [autosign arqsign] webhooks")
	_, err = newWebhookWriter("autosign", "", "run", reg)
	require.ErrorContains(t, err, "no webhook secret")
	_, err = newWebhookWriter("nosuch", secrets["autosign"], "run", reg)
	require.ErrorContains(t, err, "not configured")
}
