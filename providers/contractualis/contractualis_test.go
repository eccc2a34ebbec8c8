package contractualis_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
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
	"github.com/firmaflow/firmaflow/providers/contractualis"
	"github.com/firmaflow/firmaflow/signing"
	"github.com/firmaflow/firmaflow/simulators/contractualissim"
)

const secret = "hook-secret"

var pdf = []byte("%PDF-1.7\ncontractualis test\n%%EOF\n")

type captured struct {
	mu     sync.Mutex
	bodies [][]byte
	tokens []string
}

func (c *captured) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	c.bodies, c.tokens = append(c.bodies, b), append(c.tokens, r.Header.Get("X-Firmaflow-Token"))
	c.mu.Unlock()
}

type env struct {
	sim    *contractualissim.Simulator
	apiURL string
	hooks  *captured
	client *contractualis.Client
}

func newEnv(t *testing.T, scenario string) *env {
	hooks := &captured{}
	hookSrv := httptest.NewServer(hooks)
	t.Cleanup(hookSrv.Close)
	sim := contractualissim.New(contractualissim.Options{APIKey: "key", Email: "acct@example.com", Password: "pw",
		WebhookURL: hookSrv.URL, WebhookSecret: secret, DefaultScenario: scenario, StepDelay: time.Millisecond})
	api := httptest.NewServer(sim.Handler())
	t.Cleanup(func() { api.Close(); sim.Close() })
	c, err := contractualis.New(contractualis.Options{BaseURL: api.URL, APIKey: "key", Email: "acct@example.com", Password: "pw", AllowPrivateDownloads: true})
	require.NoError(t, err)
	return &env{sim: sim, apiURL: api.URL, hooks: hooks, client: c}
}

func doc(name, role string) providers.Document {
	return providers.Document{DocumentRef: signing.DocumentRef{Name: name, Key: name, Role: role}, Size: int64(len(pdf)),
		Open: func(context.Context) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(pdf)), nil }}
}

func request(title string) providers.SendRequest {
	return providers.SendRequest{
		Input: signing.Input{ProcessID: "p1", Provider: contractualis.Name, Title: title, Options: map[string]string{"subaccount": "sub-7"},
			Signers: []signing.Signer{
				{Name: "Luis Garcia", Email: "luis@example.com", Phone: "+52 55 1234 5678", Options: map[string]string{"verification": "true", "sign_type": "1"}},
				{Name: "Saved", Email: "saved@example.com", Options: map[string]string{"saved_signer_id": "e4PQNyt3iR1bY+uEznQDbk=="}},
			}},
		Documents: []providers.Document{doc("contrato.pdf", ""), doc("anexo.pdf", signing.RoleAttachment)},
	}
}

func (e *env) events(t *testing.T) []signing.Event {
	e.hooks.mu.Lock()
	defer e.hooks.mu.Unlock()
	var out []signing.Event
	for i, b := range e.hooks.bodies {
		require.Equal(t, secret, e.hooks.tokens[i], "the simulator presents the shared secret")
		evs, err := e.client.Parse(context.Background(), "", nil, bytes.NewReader(b), nil)
		require.NoError(t, err, string(b))
		out = append(out, evs...)
	}
	return out
}

func (e *env) waitEvents(t *testing.T, n int) []signing.Event {
	require.Eventually(t, func() bool { e.hooks.mu.Lock(); defer e.hooks.mu.Unlock(); return len(e.hooks.bodies) >= n },
		10*time.Second, 5*time.Millisecond)
	return e.events(t)
}

func types(evs []signing.Event) []signing.EventType {
	out := make([]signing.EventType, len(evs))
	for i, e := range evs {
		out[i] = e.Type
	}
	return out
}

func TestSendSignComplete(t *testing.T) {
	e := newEnv(t, contractualissim.ScenarioSign)
	res, err := e.client.Send(context.Background(), request("Contrato"))
	require.NoError(t, err)
	view, ok := e.sim.Process(res.ProviderRef)
	require.True(t, ok)
	require.Equal(t, "sub-7", view.Subaccount)
	require.Equal(t, []string{"anexo.pdf"}, view.Attachments)
	evs := e.waitEvents(t, 4)
	require.Equal(t, []signing.EventType{signing.EventSignerSigned, signing.EventSignerSigned, signing.EventSealing, signing.EventCompleted}, types(evs))
	done := evs[3]
	require.Equal(t, res.ProviderRef, done.ProviderRef)
	require.Len(t, done.Documents, 4, "document, NOM-151, certificate, audit trail")
	view, _ = e.sim.Process(res.ProviderRef)
	require.Equal(t, view.SignedSHA256[0], done.Documents[0].SHA256, "the event carries the provider's hash")

	body, err := e.client.Download(context.Background(), done.Documents[0])
	require.NoError(t, err)
	got, _ := io.ReadAll(body)
	body.Close()
	sum := sha256.Sum256(got)
	require.Equal(t, done.Documents[0].SHA256, hex.EncodeToString(sum[:]))
	st, err := e.client.Status(context.Background(), res.ProviderRef)
	require.NoError(t, err)
	require.Equal(t, signing.StatusCompleted, st)
	require.Equal(t, 1, view.Counts.TokensSpent)
	require.Equal(t, 1, e.sim.Logins(), "the JWT is cached across calls")
}

func TestNoTokensFinishesOnceWhenTokensAreBack(t *testing.T) {
	e := newEnv(t, contractualissim.ScenarioNoTokens)
	res, err := e.client.Send(context.Background(), request("Contrato"))
	require.NoError(t, err)
	evs := e.waitEvents(t, 3)
	nt := evs[2]
	require.Equal(t, signing.EventAwaitingTokens, nt.Type)
	require.True(t, nt.AccountWide)
	require.Empty(t, nt.ProviderRef)

	ctx := context.Background()
	n, err := e.client.TokensAvailable(ctx)
	require.NoError(t, err)
	require.Zero(t, n)
	n, err = e.client.TokensAvailable(ctx) // the simulator restores after 2 checks
	require.NoError(t, err)
	require.Positive(t, n)
	done, err := e.client.FinishReady(ctx, res.ProviderRef)
	require.NoError(t, err)
	require.True(t, done)
	again, err := e.client.FinishReady(ctx, res.ProviderRef)
	require.NoError(t, err)
	require.False(t, again, "a retried finish finds nothing ready")
	evs = e.waitEvents(t, 5)
	require.Equal(t, signing.EventCompleted, evs[4].Type)
	view, _ := e.sim.Process(res.ProviderRef)
	require.Equal(t, 1, view.Counts.TokensSpent, "one token for one document")
	require.Equal(t, 1, view.Counts.FinishCalls)
}

func TestJWTRenewedOnceOn401(t *testing.T) {
	e := newEnv(t, contractualissim.ScenarioManual)
	ctx := context.Background()
	_, err := e.client.TokensAvailable(ctx)
	require.NoError(t, err)
	e.sim.ExpireSessions()
	_, err = e.client.TokensAvailable(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, e.sim.Logins())

	bad, _ := contractualis.New(contractualis.Options{BaseURL: e.apiURL, APIKey: "key", Email: "acct@example.com", Password: "wrong"})
	_, err = bad.TokensAvailable(ctx)
	var apiErr *providers.APIError
	require.True(t, errors.As(err, &apiErr))
	require.Equal(t, 401, apiErr.StatusCode)
	require.False(t, apiErr.Retryable())
}

func TestCancelDraftThenNotAfterSealing(t *testing.T) {
	e := newEnv(t, contractualissim.ScenarioManual)
	ctx := context.Background()
	res, err := e.client.Send(ctx, request("Contrato"))
	require.NoError(t, err)
	require.NoError(t, e.client.Cancel(ctx, res.ProviderRef, "withdrawn"))
	require.NoError(t, e.client.Cancel(ctx, res.ProviderRef, "withdrawn"), "a retried cancel is not an error")
	st, _ := e.client.Status(ctx, res.ProviderRef)
	require.Equal(t, signing.StatusCancelled, st)

	e2 := newEnv(t, contractualissim.ScenarioSign)
	res, err = e2.client.Send(ctx, request("Contrato"))
	require.NoError(t, err)
	e2.waitEvents(t, 4)
	err = e2.client.Cancel(ctx, res.ProviderRef, "late")
	var apiErr *providers.APIError
	require.True(t, errors.As(err, &apiErr))
	require.Equal(t, 409, apiErr.StatusCode)
	require.Contains(t, apiErr.Message, "no longer a draft")
	require.False(t, providers.IsRetryable(err))
}

func TestUnsupportedOperations(t *testing.T) {
	e := newEnv(t, contractualissim.ScenarioManual)
	var unsupported *providers.UnsupportedError
	require.True(t, errors.As(e.client.Resend(context.Background(), "x"), &unsupported))
	require.True(t, errors.As(e.client.Renew(context.Background(), "x", 3), &unsupported))
}

func TestStatusCodeInsideHTTP200IsAnError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/users/login" {
			io.WriteString(w, `{"status_code":200,"jwt":"a.b.c"}`)
			return
		}
		io.WriteString(w, `{"status_code":"503","status_msg":"mantenimiento"}`)
	}))
	defer srv.Close()
	c, _ := contractualis.New(contractualis.Options{BaseURL: srv.URL})
	_, err := c.TokensAvailable(context.Background())
	var apiErr *providers.APIError
	require.True(t, errors.As(err, &apiErr))
	require.Equal(t, 503, apiErr.StatusCode)
	require.True(t, apiErr.Retryable())
	require.Equal(t, "mantenimiento", apiErr.Message)
}

func TestSeedFixtures(t *testing.T) {
	c, _ := contractualis.New(contractualis.Options{BaseURL: "https://contractualis.com/app/dev/v1"})
	parse := func(name string) ([]signing.Event, error) {
		b, err := os.ReadFile(filepath.Join("testdata", "webhooks", name+".json"))
		require.NoError(t, err)
		return c.Parse(context.Background(), "", nil, bytes.NewReader(b), nil)
	}
	evs, err := parse("document.signed")
	require.NoError(t, err)
	require.Equal(t, signing.EventSignerSigned, evs[0].Type)
	require.Equal(t, "fj378h2ghjs0fj3jdff7dksam==", evs[0].ProviderRef)
	require.Equal(t, "luisgarcia@email.com", evs[0].Signer.Email)
	require.False(t, evs[0].OccurredAt.IsZero())

	evs, err = parse("document.sended")
	require.NoError(t, err, "the sample's trailing comma is tolerated")
	require.Equal(t, signing.EventSealing, evs[0].Type)

	evs, err = parse("account.notokens")
	require.NoError(t, err)
	require.Equal(t, signing.EventAwaitingTokens, evs[0].Type)
	require.True(t, evs[0].AccountWide)

	// The sample's links are placeholders ("[url de documento]"): not a URL
	// firmaflow could fetch, so the notification is refused as malformed.
	_, err = parse("document.completed")
	var invalid *providers.InvalidPayloadError
	require.True(t, errors.As(err, &invalid), "%v", err)
}

func TestRedeliveryKeepsItsKey(t *testing.T) {
	c, _ := contractualis.New(contractualis.Options{BaseURL: "https://contractualis.com/app/dev/v1"})
	b, _ := os.ReadFile(filepath.Join("testdata", "webhooks", "document.signed.json"))
	a, err := c.Parse(context.Background(), "", nil, bytes.NewReader(b), nil)
	require.NoError(t, err)
	again, err := c.Parse(context.Background(), "", nil, bytes.NewReader(b), nil)
	require.NoError(t, err)
	require.Equal(t, a[0].Key, again[0].Key)
	other := bytes.Replace(b, []byte("luisgarcia@email.com"), []byte("ana@email.com"), 1)
	o, err := c.Parse(context.Background(), "", nil, bytes.NewReader(other), nil)
	require.NoError(t, err)
	require.NotEqual(t, a[0].Key, o[0].Key, "another signer's signature is another event")
}

func FuzzParseWebhook(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "webhooks", "*.json"))
	for _, file := range files {
		b, _ := os.ReadFile(file)
		f.Add(b)
	}
	f.Add([]byte(`{"event":"document.completed","data":{"document_id":"x","document":{"url":"https://h/d","nom151":"::"}}}`))
	c, _ := contractualis.New(contractualis.Options{BaseURL: "https://contractualis.com/app/dev/v1"})
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := c.Parse(context.Background(), "", nil, bytes.NewReader(body), nil)
		if err != nil {
			var invalid *providers.InvalidPayloadError
			if !errors.As(err, &invalid) || evs != nil {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		ev := evs[0]
		if len(evs) != 1 || ev.Type == "" || ev.Key == "" || (!ev.AccountWide && strings.TrimSpace(ev.ProviderRef) == "") {
			t.Fatalf("incomplete event %+v", evs)
		}
	})
}
