package contractualissim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/providers/contractualis"
	"github.com/firmaflow/firmaflow/signing"
)

type hooks struct {
	mu     sync.Mutex
	events []string
}

func (h *hooks) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var p struct {
		Event string
		Data  struct{ Signer struct{ Email string } }
	}
	json.NewDecoder(r.Body).Decode(&p)
	h.mu.Lock()
	h.events = append(h.events, strings.TrimSuffix(p.Event+" "+p.Data.Signer.Email, " "))
	h.mu.Unlock()
}

func (h *hooks) seen() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.events...)
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type restartEnv struct {
	t    *testing.T
	h    *hooks
	hook *httptest.Server
	path string
	sim  *Simulator
	api  *httptest.Server
}

func (e *restartEnv) start() *contractualis.Client {
	e.sim = New(Options{APIKey: "key", Email: "acct@example.com", Password: "pw", WebhookURL: e.hook.URL,
		StepDelay: 200 * time.Millisecond, RestoreTokensAfter: 1})
	if err := e.sim.Persist(e.path); err != nil {
		e.t.Fatal(err)
	}
	e.api = httptest.NewServer(e.sim.Handler())
	c, err := contractualis.New(contractualis.Options{BaseURL: e.api.URL, APIKey: "key", Email: "acct@example.com", Password: "pw"})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *restartEnv) stop() { e.sim.Close(); e.api.Close() }

func newRestartEnv(t *testing.T) *restartEnv {
	h := &hooks{}
	e := &restartEnv{t: t, h: h, hook: httptest.NewServer(h), path: filepath.Join(t.TempDir(), "contractualis.json")}
	t.Cleanup(e.hook.Close)
	return e
}

func send(t *testing.T, c *contractualis.Client, title string, signers int) string {
	pdf := []byte("%PDF-1.7\nrestart\n%%EOF\n")
	in := signing.Input{ProcessID: "p1", Provider: contractualis.Name, Title: title}
	for i := 1; i <= signers; i++ {
		in.Signers = append(in.Signers, signing.Signer{Name: fmt.Sprint("S", i), Email: fmt.Sprintf("s%d@example.com", i)})
	}
	res, err := c.Send(context.Background(), providers.SendRequest{Input: in, Documents: []providers.Document{{
		DocumentRef: signing.DocumentRef{Name: "c.pdf", Key: "k"}, Size: int64(len(pdf)),
		Open: func(context.Context) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(pdf)), nil }}}})
	if err != nil {
		t.Fatal(err)
	}
	return res.ProviderRef
}

// TestSigningCarriesOnAfterARestart: a restart mid-signing loses no
// webhook and repeats none.
func TestSigningCarriesOnAfterARestart(t *testing.T) {
	e := newRestartEnv(t)
	c := e.start()
	ref := send(t, c, "Restart [sim:sign]", 4)
	waitUntil(t, "two signatures", func() bool { return len(e.h.seen()) >= 2 })
	e.stop()
	v, _ := e.sim.Process(ref)
	known := len(v.Webhooks)
	c = e.start()
	defer e.stop()
	waitUntil(t, "the completion", func() bool { return slices.Contains(e.h.seen(), contractualis.EventCompleted) })
	want := []string{contractualis.EventSigned + " s1@example.com", contractualis.EventSigned + " s2@example.com",
		contractualis.EventSigned + " s3@example.com", contractualis.EventSigned + " s4@example.com",
		contractualis.EventSended, contractualis.EventCompleted}
	if got := e.h.seen(); !acrossRestart(got, want, known) {
		t.Fatalf("webhooks across the restart %v (%d known delivered before it), want each once: %v", got, known, want)
	}
	if v, _ := e.sim.Process(ref); v.Counts.TokensSpent != 1 {
		t.Fatalf("tokens spent %d, want 1", v.Counts.TokensSpent)
	}
}

// TestSealingAfterFinishCarriesOnAfterARestart: a document that waited for
// tokens and was finished is sealing when the simulator restarts; the
// sealing carries on (completion posted once), and no token is spent again.
func TestSealingAfterFinishCarriesOnAfterARestart(t *testing.T) {
	e := newRestartEnv(t)
	c := e.start()
	ref := send(t, c, "Tokens [sim:no-tokens]", 1)
	waitUntil(t, "account.notokens", func() bool { return slices.Contains(e.h.seen(), contractualis.EventNoTokens) })
	ctx := context.Background()
	if _, err := c.TokensAvailable(ctx); err != nil { // restores the balance (RestoreTokensAfter 1)
		t.Fatal(err)
	}
	if ok, err := c.FinishReady(ctx, ref); err != nil || !ok {
		t.Fatalf("finish: %v %v", ok, err)
	}
	waitUntil(t, "document.sended", func() bool { return slices.Contains(e.h.seen(), contractualis.EventSended) })
	e.stop()
	v, _ := e.sim.Process(ref)
	known := len(v.Webhooks)
	c = e.start()
	defer e.stop()
	waitUntil(t, "the completion", func() bool { return slices.Contains(e.h.seen(), contractualis.EventCompleted) })
	want := []string{contractualis.EventSigned + " s1@example.com", contractualis.EventNoTokens, contractualis.EventSended, contractualis.EventCompleted}
	if got := e.h.seen(); !acrossRestart(got, want, known) {
		t.Fatalf("webhooks across the restart %v (%d known delivered before it), want each once: %v", got, known, want)
	}
	if v, _ := e.sim.Process(ref); v.Counts.TokensSpent != 1 || v.Status != contractualis.StatusCompleted {
		t.Fatalf("after the restart: status %s, tokens spent %d (want completed, 1)", v.Status, v.Counts.TokensSpent)
	}
}

// acrossRestart checks the webhooks a receiver got across a restart: the
// first known ones (the simulator recorded them delivered before it
// closed) as wanted, then the rest as wanted, each once — except that the
// one in flight when Close cut it short may come twice (the receiver took
// it without the simulator knowing), as a provider's redelivery does.
func acrossRestart[T comparable](got, want []T, known int) bool {
	if known > len(got) || known > len(want) || !slices.Equal(got[:known], want[:known]) {
		return false
	}
	rest := got[known:]
	if len(rest) == len(want)-known+1 && known < len(want) && rest[0] == want[known] {
		rest = rest[1:]
	}
	return slices.Equal(rest, want[known:])
}
