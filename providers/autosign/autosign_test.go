package autosign_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/providers/autosign"
	"github.com/firmaflow/firmaflow/signing"
	"github.com/firmaflow/firmaflow/simulators/autosignsim"
)

var pdf = []byte("%PDF-1.7\nautosign test\n%%EOF\n")

type captured struct {
	mu     sync.Mutex
	bodies [][]byte
	tokens []string
}

func (c *captured) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	c.bodies, c.tokens = append(c.bodies, b), append(c.tokens, r.URL.Query().Get("token"))
	c.mu.Unlock()
}

type env struct {
	sim    *autosignsim.Simulator
	hooks  *captured
	client *autosign.Client
}

func newEnv(t *testing.T, scenario string) *env {
	hooks := &captured{}
	hookSrv := httptest.NewServer(hooks)
	t.Cleanup(hookSrv.Close)
	sim := autosignsim.New(autosignsim.Options{ClientID: "cid", ClientSecret: "cs", RefreshToken: "rt", DefaultScenario: scenario, StepDelay: time.Millisecond})
	api := httptest.NewServer(sim.Handler())
	t.Cleanup(func() { api.Close(); sim.Close() })
	c, err := autosign.New(autosign.Options{BaseURL: api.URL, ClientID: "cid", ClientSecret: "cs", RefreshToken: "rt",
		WebhookURL: hookSrv.URL + "/webhooks/autosign?token=s3cret", SenderName: "Firmaflow", SenderEmail: "ops@example.com", AllowPrivateDownloads: true})
	require.NoError(t, err)
	return &env{sim: sim, hooks: hooks, client: c}
}

func request(title string, size int64) providers.SendRequest {
	return providers.SendRequest{
		Input: signing.Input{ProcessID: "p1", Provider: autosign.Name, Title: title, ExpiresInDays: 7,
			Signers: []signing.Signer{{Name: "Ana", Email: "ana@example.com", Order: 1}, {Name: "Bruno", Email: "bruno@example.com", Order: 2}}},
		Documents: []providers.Document{{DocumentRef: signing.DocumentRef{Name: "c.pdf", Key: "k"}, Size: size,
			Open: func(context.Context) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(pdf)), nil }}},
	}
}

func (e *env) events(t *testing.T, n int) []signing.Event {
	require.Eventually(t, func() bool { e.hooks.mu.Lock(); defer e.hooks.mu.Unlock(); return len(e.hooks.bodies) >= n }, 10*time.Second, 5*time.Millisecond)
	e.hooks.mu.Lock()
	defer e.hooks.mu.Unlock()
	var out []signing.Event
	for i, b := range e.hooks.bodies {
		require.Equal(t, "s3cret", e.hooks.tokens[i], "events go to the notification_endpoint, token included")
		evs, err := e.client.Parse(context.Background(), "", nil, bytes.NewReader(b), nil)
		require.NoError(t, err, string(b))
		out = append(out, evs...)
	}
	return out
}

func count(evs []signing.Event, typ signing.EventType) int {
	n := 0
	for _, e := range evs {
		if e.Type == typ {
			n++
		}
	}
	return n
}

func TestSendSignComplete(t *testing.T) {
	e := newEnv(t, autosignsim.ScenarioSign)
	res, err := e.client.Send(context.Background(), request("Contrato", int64(len(pdf))))
	require.NoError(t, err)
	view, _ := e.sim.Process(res.ProviderRef)
	require.Equal(t, []string{"create", "document", "update", "fields", "start"}, view.Steps)
	require.Equal(t, 3, view.Recipients, "sender and two signers")
	require.Equal(t, 2, view.Fields, "one signature field per signer")
	evs := e.events(t, 5)
	require.Equal(t, 1, count(evs, signing.EventCreated))
	require.Equal(t, 1, count(evs, signing.EventStarted))
	require.Equal(t, 2, count(evs, signing.EventSignerSigned))
	done := evs[len(evs)-1]
	require.Equal(t, signing.EventCompleted, done.Type)
	require.True(t, strings.HasPrefix(done.Key, "autosign:"))
	body, err := e.client.Download(context.Background(), done.Documents[0])
	require.NoError(t, err)
	got, _ := io.ReadAll(body)
	body.Close()
	sum := sha256.Sum256(got)
	view, _ = e.sim.Process(res.ProviderRef)
	require.Equal(t, view.SignedSHA256[0], hex.EncodeToString(sum[:]))
	st, err := e.client.Status(context.Background(), res.ProviderRef)
	require.NoError(t, err)
	require.Equal(t, signing.StatusCompleted, st)
	require.Equal(t, 1, e.sim.Refreshes(), "the access token is reused")
}

func TestTemplatesInsteadOfFiles(t *testing.T) {
	e := newEnv(t, autosignsim.ScenarioManual)
	req := request("Plantilla", 0)
	req.Documents = nil
	req.Input.Templates = []string{"tpl-1"}
	res, err := e.client.Send(context.Background(), req)
	require.NoError(t, err)
	view, _ := e.sim.Process(res.ProviderRef)
	require.Equal(t, 1, view.Templates)
	require.Equal(t, []string{"create", "templates", "update", "fields", "start"}, view.Steps)
}

func TestEndings(t *testing.T) {
	for scenario, want := range map[string]signing.EventType{
		autosignsim.ScenarioReject: signing.EventRejected, autosignsim.ScenarioCancel: signing.EventCancelled, autosignsim.ScenarioExpire: signing.EventExpired,
	} {
		e := newEnv(t, scenario)
		_, err := e.client.Send(context.Background(), request("Contrato", int64(len(pdf))))
		require.NoError(t, err)
		evs := e.events(t, 3)
		require.Equal(t, 1, count(evs, want), scenario)
		for _, ev := range evs {
			if ev.Type == signing.EventRejected {
				require.Equal(t, autosignsim.RejectReason, ev.Reason)
				require.Equal(t, "bruno@example.com", ev.Signer.Email)
			}
		}
	}
}

func TestTenMegabyteLimitIsCheckedBeforeUpload(t *testing.T) {
	e := newEnv(t, autosignsim.ScenarioManual)
	_, err := e.client.Send(context.Background(), request("Grande", 10<<20+1))
	var apiErr *providers.APIError
	require.True(t, errors.As(err, &apiErr))
	require.False(t, apiErr.Retryable())
	require.Contains(t, apiErr.Message, "10 MB")
	require.Empty(t, e.sim.Processes(), "nothing was created")
}

func TestTokenRefreshedOnceOn401(t *testing.T) {
	e := newEnv(t, autosignsim.ScenarioManual)
	res, err := e.client.Send(context.Background(), request("Contrato", int64(len(pdf))))
	require.NoError(t, err)
	e.sim.ExpireTokens()
	_, err = e.client.Status(context.Background(), res.ProviderRef)
	require.NoError(t, err)
	require.Equal(t, 2, e.sim.Refreshes())

	bad, _ := autosign.New(autosign.Options{BaseURL: "http://127.0.0.1:1", RefreshToken: "x"})
	_, err = bad.Status(context.Background(), "t")
	require.ErrorContains(t, err, "credentials", "no token: a clear failure")
}

func TestUnsupportedOperations(t *testing.T) {
	e := newEnv(t, autosignsim.ScenarioManual)
	var unsupported *providers.UnsupportedError
	require.True(t, errors.As(e.client.Resend(context.Background(), "t"), &unsupported))
	require.True(t, errors.As(e.client.Renew(context.Background(), "t", 1), &unsupported))
	require.True(t, errors.As(e.client.Cancel(context.Background(), "t", "r"), &unsupported))
}

func TestSeedFixtures(t *testing.T) {
	c, _ := autosign.New(autosign.Options{BaseURL: "https://api.autosign.example"})
	want := map[string]signing.EventType{
		"transaction_created": signing.EventCreated, "transaction_started": signing.EventStarted,
		"recipient_submitted": signing.EventSignerSigned, "transaction_rejected": signing.EventRejected,
		"transaction_cancelled": signing.EventCancelled, "transaction_expired": signing.EventExpired,
		"transaction_completed": signing.EventCompleted,
	}
	for name, typ := range want {
		b, err := os.ReadFile(filepath.Join("testdata", "webhooks", name+".json"))
		require.NoError(t, err)
		evs, err := c.Parse(context.Background(), "", nil, bytes.NewReader(b), nil)
		require.NoError(t, err, name)
		require.Equal(t, typ, evs[0].Type, name)
		require.NotEmpty(t, evs[0].ProviderRef)
		require.False(t, evs[0].OccurredAt.IsZero())
		if name == "transaction_completed" {
			require.False(t, json.Valid(b), "the sample keeps its trailing comma")
			require.Equal(t, "sealed-sample.pdf", evs[0].Documents[0].Name)
			require.Equal(t, "https://api.autosign.example/v1/transactions/clsowfhnx000c3ol9gtwp3wcl/sealed-documents/clsowqyhy000agzu3jm80ihoh", evs[0].Documents[0].URL)
		}
		if name == "transaction_cancelled" {
			require.Equal(t, "Campos incorrectos en el documento", evs[0].Reason)
		}
	}
}

func TestWebhookRegistration(t *testing.T) {
	e := newEnv(t, autosignsim.ScenarioManual)
	_, err := e.client.RegisterWebhook(context.Background(), "firmaflow", "https://bridge.example/webhooks/autosign?token=x")
	require.NoError(t, err)
	list, err := e.client.ListWebhooks(context.Background())
	require.NoError(t, err)
	require.Len(t, list.Items, 1)
	require.ElementsMatch(t, autosign.Events, list.Items[0].Events)
}

func FuzzParseWebhook(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "webhooks", "*.json"))
	for _, file := range files {
		b, _ := os.ReadFile(file)
		f.Add(b)
	}
	c, _ := autosign.New(autosign.Options{BaseURL: "https://api.autosign.example"})
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := c.Parse(context.Background(), "", nil, bytes.NewReader(body), nil)
		if err != nil {
			var invalid *providers.InvalidPayloadError
			if !errors.As(err, &invalid) || evs != nil {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if len(evs) != 1 || evs[0].Type == "" || evs[0].Key == "" || strings.TrimSpace(evs[0].ProviderRef) == "" {
			t.Fatalf("incomplete event %+v", evs)
		}
	})
}

// A rejection found by reconciliation says who refused and why, as the
// webhook does (the detail's rejected_by_id and rejected_reason).
func TestReconcileTellsWhoRejectedAndWhy(t *testing.T) {
	e := newEnv(t, autosignsim.ScenarioReject)
	res, err := e.client.Send(context.Background(), request("Contrato", int64(len(pdf))))
	require.NoError(t, err)
	e.events(t, 3)
	snap, err := e.client.Reconcile(context.Background(), res.ProviderRef)
	require.NoError(t, err)
	require.Equal(t, signing.StatusRejected, snap.Status)
	require.Equal(t, autosignsim.RejectReason, snap.Reason)
	require.NotNil(t, snap.RejectedBy)
	require.Equal(t, "bruno@example.com", snap.RejectedBy.Email)
}
