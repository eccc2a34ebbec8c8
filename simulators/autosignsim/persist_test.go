package autosignsim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/providers/autosign"
	"github.com/firmaflow/firmaflow/signing"
)

type hooks struct {
	mu     sync.Mutex
	events []string
}

func (h *hooks) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var p struct {
		Type string
		Data struct{ Recipient struct{ Email string } }
	}
	json.NewDecoder(r.Body).Decode(&p)
	h.mu.Lock()
	h.events = append(h.events, strings.TrimSuffix(p.Type+" "+p.Data.Recipient.Email, " "))
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

// TestScenarioCarriesOnAfterARestart: a transaction started before the
// restart carries on after it with every event posted once, the access
// token issued before the restart still works, and the sealed document is
// served.
func TestScenarioCarriesOnAfterARestart(t *testing.T) {
	h := &hooks{}
	hook := httptest.NewServer(h)
	defer hook.Close()
	path := filepath.Join(t.TempDir(), "autosign.json")
	var sim *Simulator
	var api *httptest.Server
	var base string
	start := func() {
		sim = New(Options{ClientID: "cid", ClientSecret: "cs", RefreshToken: "rt", StepDelay: 150 * time.Millisecond})
		if err := sim.Persist(path); err != nil {
			t.Fatal(err)
		}
		// The same address across the restart, as the dev stack keeps it.
		api = httptest.NewUnstartedServer(sim.Handler())
		if base != "" {
			api.Listener.Close()
			ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", strings.TrimPrefix(base, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			api.Listener = ln
		}
		api.Start()
		base = api.URL
	}
	start()
	c, err := autosign.New(autosign.Options{BaseURL: api.URL, ClientID: "cid", ClientSecret: "cs", RefreshToken: "rt",
		WebhookURL: hook.URL, SenderName: "F", SenderEmail: "f@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	pdf := []byte("%PDF-1.7\nrestart\n%%EOF\n")
	in := signing.Input{ProcessID: "p1", Provider: autosign.Name, Title: "Restart [sim:sign]", ExpiresInDays: 7}
	for i := 1; i <= 4; i++ {
		in.Signers = append(in.Signers, signing.Signer{Name: fmt.Sprint("S", i), Email: fmt.Sprintf("s%d@example.com", i), Order: i})
	}
	res, err := c.Send(context.Background(), providers.SendRequest{Input: in, Documents: []providers.Document{{
		DocumentRef: signing.DocumentRef{Name: "c.pdf", Key: "k"}, Size: int64(len(pdf)),
		Open: func(context.Context) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(pdf)), nil }}}})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "a signature", func() bool { return slices.Contains(h.seen(), "recipient_submitted s1@example.com") })
	sim.Close()
	api.Close()
	v, _ := sim.Process(res.ProviderRef)
	known := len(v.Webhooks)
	refreshes := sim.Refreshes()

	start()
	defer func() { sim.Close(); api.Close() }()
	waitUntil(t, "the completion", func() bool { return slices.Contains(h.seen(), "transaction_completed") })
	want := []string{"transaction_created", "transaction_started", "recipient_submitted s1@example.com", "recipient_submitted s2@example.com",
		"recipient_submitted s3@example.com", "recipient_submitted s4@example.com", "transaction_completed"}
	if got := h.seen(); !acrossRestart(got, want, known) {
		t.Fatalf("events across the restart %v (%d known delivered before it), want each once: %v", got, known, want)
	}
	// The client's access token from before the restart is still valid.
	if st, err := c.Status(context.Background(), res.ProviderRef); err != nil || st != signing.StatusCompleted {
		t.Fatalf("status after the restart: %v %v", st, err)
	}
	if sim.Refreshes() != refreshes {
		t.Fatalf("the restart invalidated the access token (%d refreshes, %d before)", sim.Refreshes(), refreshes)
	}
}

// acrossRestart: see the arqsign simulator's test of the same name.
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
