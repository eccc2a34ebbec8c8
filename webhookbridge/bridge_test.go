package webhookbridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/signing"
)

// fakeHook is a minimal provider webhook: {"ref": "...", "type": "..."}.
type fakeHook struct{ providers.Provider }

func (fakeHook) Name() string { return "fake" }

func (fakeHook) Parse(_ context.Context, _ string, _ http.Header, body io.Reader, _ providers.Store) ([]signing.Event, error) {
	var p struct{ Ref, Type string }
	if err := json.NewDecoder(body).Decode(&p); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, err
		}
		return nil, providers.Invalid("fake", "not JSON: %v", err)
	}
	if p.Ref == "" {
		return nil, providers.Invalid("fake", "ref missing")
	}
	return []signing.Event{{Key: p.Ref + p.Type, Provider: "fake", ProviderRef: p.Ref, Type: signing.EventType(p.Type)}}, nil
}

func (fakeHook) Acknowledge(w http.ResponseWriter, err error) {
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		fmt.Fprintf(w, `{"status":"-1","errordesc":%q}`, err.Error())
		return
	}
	fmt.Fprint(w, `{"status":"0"}`)
}

type recordingDeliverer struct {
	mu     sync.Mutex
	events []signing.Event
	err    error
}

func (d *recordingDeliverer) Deliver(_ context.Context, ev signing.Event) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return d.err
	}
	d.events = append(d.events, ev)
	return nil
}

func newTestBridge(d Deliverer) *Bridge {
	reg := providers.NewRegistry()
	reg.Register(fakeHook{}, fakeHook{})
	return New(Options{Providers: reg, Secrets: map[string]string{"fake": "s3cret"}, Deliverer: d, MaxBodyBytes: 256})
}

func post(t *testing.T, b *Bridge, path, token, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	if token != "" {
		req.Header.Set(TokenHeader, token)
	}
	rec := httptest.NewRecorder()
	b.Handler().ServeHTTP(rec, req)
	return rec
}

func TestWebhookDelivered(t *testing.T) {
	d := &recordingDeliverer{}
	rec := post(t, newTestBridge(d), "/webhooks/fake/monitoring", "s3cret", `{"ref":"P1","type":"signer_signed"}`)
	require.Equal(t, http.StatusOK, rec.Code)
	require.JSONEq(t, `{"status":"0"}`, rec.Body.String(), "the provider's own answer format")
	require.Len(t, d.events, 1)
	require.Equal(t, "P1", d.events[0].ProviderRef)
}

func TestWebhookSecretFromQueryAndBearer(t *testing.T) {
	d := &recordingDeliverer{}
	b := newTestBridge(d)
	require.Equal(t, http.StatusOK, post(t, b, "/webhooks/fake?token=s3cret", "", `{"ref":"P1","type":"x"}`).Code)
	req := httptest.NewRequest(http.MethodPost, "/webhooks/fake", strings.NewReader(`{"ref":"P2","type":"x"}`))
	req.Header.Set("Authorization", "Bearer s3cret")
	rec := httptest.NewRecorder()
	b.Handler().ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Len(t, d.events, 2)
}

func TestWebhookRefusals(t *testing.T) {
	cases := []struct {
		name, path, token, body string
		status                  int
	}{
		{"wrong secret", "/webhooks/fake", "nope", `{"ref":"P1"}`, http.StatusUnauthorized},
		{"missing secret", "/webhooks/fake", "", `{"ref":"P1"}`, http.StatusUnauthorized},
		{"secret prefix", "/webhooks/fake", "s3cre", `{"ref":"P1"}`, http.StatusUnauthorized},
		{"malformed", "/webhooks/fake", "s3cret", `{"ref":`, http.StatusBadRequest},
		{"invalid", "/webhooks/fake", "s3cret", `{"type":"x"}`, http.StatusBadRequest},
		{"hostile ref", "/webhooks/fake", "s3cret", `{"ref":"x' OR 1=1","type":"x"}`, http.StatusBadRequest},
		{"oversize", "/webhooks/fake", "s3cret", `{"ref":"P1","pad":"` + strings.Repeat("x", 400) + `"}`, http.StatusRequestEntityTooLarge},
		{"unknown provider", "/webhooks/nobody", "s3cret", `{"ref":"P1"}`, http.StatusNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := &recordingDeliverer{}
			rec := post(t, newTestBridge(d), tc.path, tc.token, tc.body)
			require.Equal(t, tc.status, rec.Code, rec.Body.String())
			require.Empty(t, d.events, "nothing is signalled")
		})
	}
}

func TestUnconfiguredSecretRefusesEverything(t *testing.T) {
	require.False(t, secretMatches("", ""))
	require.False(t, secretMatches("", "anything"))
	require.True(t, secretMatches("a", "a"))
}

func TestUndeliverableIsNever2xx(t *testing.T) {
	for _, err := range []error{errors.New("hold on route: deadline exceeded"), errors.New("temporal unreachable")} {
		d := &recordingDeliverer{err: err}
		rec := post(t, newTestBridge(d), "/webhooks/fake", "s3cret", `{"ref":"P1","type":"completed"}`)
		require.Equal(t, http.StatusServiceUnavailable, rec.Code)
		require.NotEmpty(t, rec.Header().Get("Retry-After"))
		require.Contains(t, rec.Body.String(), `"status":"-1"`)
	}
}

func TestEventForEndedProcessIsAcknowledged(t *testing.T) {
	d := &recordingDeliverer{err: ErrOwnerEnded}
	rec := post(t, newTestBridge(d), "/webhooks/fake", "s3cret", `{"ref":"P1","type":"completed"}`)
	require.Equal(t, http.StatusOK, rec.Code)
}

func TestHealthAndReady(t *testing.T) {
	b := New(Options{Providers: providers.NewRegistry(), Deliverer: &recordingDeliverer{},
		Ready: func(context.Context) error { return errors.New("temporal down") }})
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 503} {
		rec := httptest.NewRecorder()
		b.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		require.Equal(t, want, rec.Code, path)
	}
}
