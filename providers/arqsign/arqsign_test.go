package arqsign_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/firmaflow/firmaflow/docstore"
	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/providers/arqsign"
	"github.com/firmaflow/firmaflow/signing"
	"github.com/firmaflow/firmaflow/simulators/arqsignsim"
)

const secret = "hmac-secret"

var pdf = []byte("%PDF-1.7\nfirmaflow test document\n%%EOF\n")

// captured collects the webhooks the simulator posts.
type captured struct {
	mu     sync.Mutex
	bodies [][]byte
	heads  []http.Header
	paths  []string
}

func (c *captured) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	c.bodies, c.heads, c.paths = append(c.bodies, b), append(c.heads, r.Header.Clone()), append(c.paths, r.URL.Path)
	c.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func (c *captured) waitFor(t *testing.T, n int) {
	t.Helper()
	require.Eventually(t, func() bool { c.mu.Lock(); defer c.mu.Unlock(); return len(c.bodies) >= n }, 10*time.Second, 10*time.Millisecond)
}

type env struct {
	sim    *arqsignsim.Simulator
	api    *httptest.Server
	hooks  *captured
	client *arqsign.Client
}

func newEnv(t *testing.T, scenario string) *env {
	hooks := &captured{}
	hookSrv := httptest.NewServer(hooks)
	t.Cleanup(hookSrv.Close)
	sim := arqsignsim.New(arqsignsim.Options{AppKey: "app", SubscriptionKey: "sub", WebhookURL: hookSrv.URL + "/webhooks/arqsign",
		WebhookSecret: secret, DefaultScenario: scenario, StepDelay: time.Millisecond})
	api := httptest.NewServer(sim.Handler())
	t.Cleanup(func() { api.Close(); sim.Close() })
	c, err := arqsign.New(arqsign.Options{BaseURL: api.URL, AppKey: "app", SubscriptionKey: "sub", ResponsibleID: "u-1", FolderID: "f-1", AllowPrivateDownloads: true})
	require.NoError(t, err)
	return &env{sim: sim, api: api, hooks: hooks, client: c}
}

func sendRequest(title string) providers.SendRequest {
	return providers.SendRequest{
		Input: signing.Input{ProcessID: "p1", Provider: "arqsign", Title: title, ExpiresInDays: 10,
			Signers: []signing.Signer{{Name: "Ana", Email: "ana@example.com", Order: 1}, {Name: "Bruno", Email: "bruno@example.com", Order: 2}}},
		Documents: []providers.Document{{
			DocumentRef: signing.DocumentRef{Name: "contrato.pdf", Key: "k"}, Size: int64(len(pdf)),
			Open: func(context.Context) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(pdf)), nil },
		}},
	}
}

// parseAll parses every captured webhook after verifying its HMAC.
func (e *env) parseAll(t *testing.T, store providers.Store) []signing.Event {
	e.hooks.mu.Lock()
	defer e.hooks.mu.Unlock()
	var out []signing.Event
	for i, b := range e.hooks.bodies {
		require.True(t, e.client.Verify(e.hooks.heads[i], bytes.NewReader(b), secret), "simulator signs its webhooks")
		evs, err := e.client.Parse(context.Background(), "", e.hooks.heads[i], bytes.NewReader(b), store)
		require.NoError(t, err, string(b))
		out = append(out, evs...)
	}
	return out
}

func types(evs []signing.Event) []signing.EventType {
	out := make([]signing.EventType, len(evs))
	for i, e := range evs {
		out[i] = e.Type
	}
	return out
}

func TestSendCompleteFlowAgainstSimulator(t *testing.T) {
	e := newEnv(t, arqsignsim.ScenarioSign)
	res, err := e.client.Send(context.Background(), sendRequest("Contrato"))
	require.NoError(t, err)
	require.NotEmpty(t, res.ProviderRef)
	e.hooks.waitFor(t, 4) // sent, signed ×2, completed
	evs := e.parseAll(t, nil)
	require.Equal(t, []signing.EventType{signing.EventStarted, signing.EventSignerSigned, signing.EventSignerSigned, signing.EventCompleted}, types(evs))
	require.Equal(t, "ana@example.com", evs[1].Signer.Email)
	require.Equal(t, "bruno@example.com", evs[2].Signer.Email)
	require.NotEqual(t, evs[1].Key, evs[2].Key, "each signer's signature is its own event")
	done := evs[3]
	require.Equal(t, res.ProviderRef, done.ProviderRef)
	require.Len(t, done.Documents, 2, "signed document and signature record")
	require.Equal(t, signing.KindSigned, done.Documents[0].Kind)
	require.Equal(t, signing.KindSignatureRecord, done.Documents[1].Kind)
	require.Contains(t, e.hooks.paths[3], "/completion")

	// The signed document downloads from the link and matches what the simulator serves.
	body, err := e.client.Download(context.Background(), done.Documents[0])
	require.NoError(t, err)
	got, _ := io.ReadAll(body)
	body.Close()
	sum := sha256.Sum256(got)
	view, _ := e.sim.Process(res.ProviderRef)
	require.Equal(t, view.SignedSHA256[0], hex.EncodeToString(sum[:]))
	require.True(t, bytes.HasPrefix(got, pdf), "signed PDF derives from the upload")

	st, err := e.client.Status(context.Background(), res.ProviderRef)
	require.NoError(t, err)
	require.Equal(t, signing.StatusCompleted, st)
}

func TestDeliveryFailureResendFlow(t *testing.T) {
	e := newEnv(t, arqsignsim.ScenarioDeliveryFailure)
	res, err := e.client.Send(context.Background(), sendRequest("Contrato"))
	require.NoError(t, err)
	e.hooks.waitFor(t, 2)
	evs := e.parseAll(t, nil)
	require.Equal(t, signing.EventDeliveryFailed, evs[1].Type)
	require.Equal(t, "bruno@example.com", evs[1].Signer.Email)
	require.NoError(t, e.client.Resend(context.Background(), res.ProviderRef))
	e.hooks.waitFor(t, 6) // resent, signed ×2, completed
	evs = e.parseAll(t, nil)
	require.Equal(t, []signing.EventType{signing.EventStarted, signing.EventDeliveryFailed, signing.EventResent,
		signing.EventSignerSigned, signing.EventSignerSigned, signing.EventCompleted}, types(evs))
	view, _ := e.sim.Process(res.ProviderRef)
	require.Equal(t, 1, view.Counts.Resends)
}

func TestExpiryRenewFlow(t *testing.T) {
	e := newEnv(t, arqsignsim.ScenarioExpireAlways)
	res, err := e.client.Send(context.Background(), sendRequest("Contrato"))
	require.NoError(t, err)
	e.hooks.waitFor(t, 2)
	st, err := e.client.Status(context.Background(), res.ProviderRef)
	require.NoError(t, err)
	require.Equal(t, signing.StatusExpired, st)
	require.NoError(t, e.client.Renew(context.Background(), res.ProviderRef, 10))
	e.hooks.waitFor(t, 4) // resent, expired again
	evs := e.parseAll(t, nil)
	require.Equal(t, []signing.EventType{signing.EventStarted, signing.EventExpired, signing.EventResent, signing.EventExpired}, types(evs))
	require.NotEqual(t, evs[1].Key, evs[3].Key, "an expiry after a renewal is a new event, not a redelivery")
	view, _ := e.sim.Process(res.ProviderRef)
	require.Equal(t, 1, view.Counts.Renewals)
}

func TestRejectCarriesReason(t *testing.T) {
	e := newEnv(t, arqsignsim.ScenarioReject)
	_, err := e.client.Send(context.Background(), sendRequest("Contrato"))
	require.NoError(t, err)
	e.hooks.waitFor(t, 3)
	evs := e.parseAll(t, nil)
	rej := evs[2]
	require.Equal(t, signing.EventRejected, rej.Type)
	require.Equal(t, arqsignsim.RejectReason, rej.Reason)
	require.Equal(t, "bruno@example.com", rej.Signer.Email)
}

func TestCancelIsIdempotentAndNotifies(t *testing.T) {
	e := newEnv(t, arqsignsim.ScenarioManual)
	res, err := e.client.Send(context.Background(), sendRequest("Contrato"))
	require.NoError(t, err)
	require.NoError(t, e.client.Cancel(context.Background(), res.ProviderRef, "withdrawn"))
	require.NoError(t, e.client.Cancel(context.Background(), res.ProviderRef, "withdrawn"), "already cancelled counts as cancelled")
	// Webhooks are not ordered: the "sent" notice may come after the
	// cancel's (it did under load), so look for the cancel among them.
	require.Eventually(t, func() bool {
		return slices.ContainsFunc(e.parseAll(t, nil), func(ev signing.Event) bool { return ev.Type == signing.EventCancelled })
	}, 10*time.Second, 10*time.Millisecond, "ArqSIGN notifies a cancel made through the API")
	st, _ := e.client.Status(context.Background(), res.ProviderRef)
	require.Equal(t, signing.StatusCancelled, st)
}

func TestCancelCompletedIsFinalError(t *testing.T) {
	e := newEnv(t, arqsignsim.ScenarioSign)
	res, err := e.client.Send(context.Background(), sendRequest("Contrato"))
	require.NoError(t, err)
	e.hooks.waitFor(t, 4)
	err = e.client.Cancel(context.Background(), res.ProviderRef, "late")
	var apiErr *providers.APIError
	require.True(t, errors.As(err, &apiErr))
	require.Equal(t, 422, apiErr.StatusCode)
	require.False(t, apiErr.Retryable())
	require.Contains(t, apiErr.Message, "concluído")
}

func TestBase64CompletionIsStoredByParser(t *testing.T) {
	e := newEnv(t, arqsignsim.ScenarioSign)
	res, err := e.client.Send(context.Background(), sendRequest("Contrato [sim:sign,base64]"))
	require.NoError(t, err)
	e.hooks.waitFor(t, 4)
	store, err := docstore.Open(context.Background(), "mem://")
	require.NoError(t, err)
	evs := e.parseAll(t, store)
	done := evs[3]
	require.Empty(t, done.Documents[0].URL)
	require.NotEmpty(t, done.Documents[0].StoredKey)
	d, err := store.Describe(context.Background(), done.Documents[0].StoredKey)
	require.NoError(t, err)
	view, _ := e.sim.Process(res.ProviderRef)
	require.Equal(t, view.SignedSHA256[0], d.SHA256)
	// The signal payload carries no document bytes.
	raw, _ := json.Marshal(done)
	require.Less(t, len(raw), 2048)
}

func TestSendValidationErrorIsFinalWithProviderMessage(t *testing.T) {
	e := newEnv(t, arqsignsim.ScenarioManual)
	c, err := arqsign.New(arqsign.Options{BaseURL: e.api.URL, AppKey: "app", SubscriptionKey: "sub"}) // no idResponsavel/idPasta
	require.NoError(t, err)
	_, err = c.Send(context.Background(), sendRequest("Contrato"))
	var apiErr *providers.APIError
	require.True(t, errors.As(err, &apiErr))
	require.Equal(t, 400, apiErr.StatusCode)
	require.False(t, providers.IsRetryable(err))
	require.Contains(t, apiErr.Message, "idResponsavel")
}

func TestWrongAppKeyIsUnauthorized(t *testing.T) {
	e := newEnv(t, arqsignsim.ScenarioManual)
	c, _ := arqsign.New(arqsign.Options{BaseURL: e.api.URL, AppKey: "wrong", SubscriptionKey: "sub", ResponsibleID: "u", FolderID: "f"})
	_, err := c.Send(context.Background(), sendRequest("Contrato"))
	var apiErr *providers.APIError
	require.True(t, errors.As(err, &apiErr))
	require.Equal(t, 401, apiErr.StatusCode)
}

func TestServerErrorsAreRetryableAndHonourRetryAfter(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls == 1 {
			w.Header().Set("Retry-After", "7")
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return
		}
		http.Error(w, "boom", http.StatusInternalServerError)
	}))
	defer srv.Close()
	c, _ := arqsign.New(arqsign.Options{BaseURL: srv.URL})
	err := c.Resend(context.Background(), "P")
	var apiErr *providers.APIError
	require.True(t, errors.As(err, &apiErr))
	require.True(t, apiErr.Retryable())
	require.Equal(t, 7*time.Second, apiErr.RetryAfter)
	err = c.Resend(context.Background(), "P")
	require.True(t, providers.IsRetryable(err))
}

func TestDownloadRefusesForeignHosts(t *testing.T) {
	c, _ := arqsign.New(arqsign.Options{BaseURL: "https://api-rest.arqsign.com"})
	for _, u := range []string{"http://127.0.0.1:9/secret", "http://169.254.169.254/latest/meta-data", "file:///etc/passwd", "https://evil.example/x.pdf"} {
		_, err := c.Download(context.Background(), signing.EventDocument{Name: "x", URL: u})
		require.Error(t, err, u)
		require.False(t, providers.IsRetryable(err), u)
	}
}

func TestVerifyHMAC(t *testing.T) {
	c, _ := arqsign.New(arqsign.Options{BaseURL: "https://api-rest.arqsign.com"})
	body := []byte(`{"idProcesso":"x","idEvento":1}`)
	h := http.Header{}
	h.Set("HMAC", arqsign.Sign(body, secret))
	verify := func(h http.Header, body []byte, secret string) bool {
		return c.Verify(h, bytes.NewReader(body), secret)
	}
	require.True(t, c.HasSignature(h))
	require.True(t, verify(h, body, secret))
	raw, _ := hex.DecodeString(arqsign.Sign(body, secret))
	h.Set("HMAC", base64.StdEncoding.EncodeToString(raw))
	require.True(t, c.HasSignature(h))
	require.True(t, verify(h, body, secret), "Base64 encoding is accepted too")
	require.False(t, verify(h, append(body, ' '), secret), "a changed body fails")
	require.False(t, verify(h, body, "other"), "another secret fails")
	require.False(t, verify(http.Header{}, body, secret), "no header fails")
	require.False(t, verify(h, body, ""), "no configured secret fails")
	for _, bad := range []string{"", "abc", arqsign.Sign(body, secret)[:62], base64.StdEncoding.EncodeToString(raw[:31])} {
		h.Set("HMAC", bad)
		require.False(t, c.HasSignature(h), "%q is no SHA-256 HMAC", bad)
	}
}

func TestInvalidPayloads(t *testing.T) {
	c, _ := arqsign.New(arqsign.Options{BaseURL: "https://api-rest.arqsign.com"})
	for name, body := range map[string]string{
		"not json":            `not json`,
		"no process":          `{"idEvento":3}`,
		"unknown trigger":     `{"idProcesso":"p","idEvento":42}`,
		"trailing":            `{"idProcesso":"p","idEvento":1} {}`,
		"completion no docs":  `{"idProcesso":"p","idEvento":8}`,
		"doc without content": `{"idProcesso":"p","idEvento":8,"documentos":[{"nomeDocumento":"a.pdf"}]}`,
	} {
		_, err := c.Parse(context.Background(), "", nil, strings.NewReader(body), nil)
		var invalid *providers.InvalidPayloadError
		require.True(t, errors.As(err, &invalid), "%s: %v", name, err)
	}
}

func TestTriggerByNameWhenIdMissing(t *testing.T) {
	c, _ := arqsign.New(arqsign.Options{BaseURL: "https://api-rest.arqsign.com"})
	evs, err := c.Parse(context.Background(), "", nil, strings.NewReader(`{"evento":"Processo expirado","idProcesso":"p"}`), nil)
	require.NoError(t, err)
	require.Equal(t, signing.EventExpired, evs[0].Type)
}

func TestReconcileFindsALostCompletion(t *testing.T) {
	e := newEnv(t, arqsignsim.ScenarioLostCompletion)
	res, err := e.client.Send(context.Background(), sendRequest("Contrato"))
	require.NoError(t, err)
	e.hooks.waitFor(t, 3) // sent, signed ×2; the completion never comes
	require.Eventually(t, func() bool {
		st, err := e.client.Status(context.Background(), res.ProviderRef)
		return err == nil && st == signing.StatusCompleted
	}, 5*time.Second, 5*time.Millisecond)
	snap, err := e.client.Reconcile(context.Background(), res.ProviderRef)
	require.NoError(t, err)
	require.Equal(t, signing.StatusCompleted, snap.Status)
	require.Len(t, snap.Signed, 2)
	require.Len(t, snap.Documents, 2)
	require.NotEmpty(t, snap.Documents[0].URL)
	time.Sleep(20 * time.Millisecond)
	e.hooks.mu.Lock()
	require.Len(t, e.hooks.bodies, 3, "no completion webhook was posted")
	e.hooks.mu.Unlock()
}

func TestReconcileTellsRejectionFromCancellation(t *testing.T) {
	e := newEnv(t, arqsignsim.ScenarioReject)
	res, err := e.client.Send(context.Background(), sendRequest("Contrato"))
	require.NoError(t, err)
	e.hooks.waitFor(t, 3)
	snap, err := e.client.Reconcile(context.Background(), res.ProviderRef)
	require.NoError(t, err)
	require.Equal(t, signing.StatusRejected, snap.Status)
	require.Equal(t, arqsignsim.RejectReason, snap.Reason)
	require.Equal(t, "bruno@example.com", snap.RejectedBy.Email)
}

func TestReconcileReportsExpiryUntilRenewed(t *testing.T) {
	e := newEnv(t, arqsignsim.ScenarioExpire)
	res, err := e.client.Send(context.Background(), sendRequest("Contrato"))
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		snap, err := e.client.Reconcile(context.Background(), res.ProviderRef)
		return err == nil && snap.Status == signing.StatusExpired
	}, 5*time.Second, 5*time.Millisecond, "an expired process reconciles as expired")
	require.NoError(t, e.client.Renew(context.Background(), res.ProviderRef, 30))
	snap, err := e.client.Reconcile(context.Background(), res.ProviderRef)
	require.NoError(t, err)
	require.NotEqual(t, signing.StatusExpired, snap.Status, "a renewed process is no longer expired")
}
