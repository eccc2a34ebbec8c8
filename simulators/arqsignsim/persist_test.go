package arqsignsim

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/providers/arqsign"
	"github.com/firmaflow/firmaflow/signing"
)

// hooks records the triggers the simulator posts, in order.
type hooks struct {
	mu       sync.Mutex
	triggers []int
}

func (h *hooks) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var p arqsign.WebhookPayload
	json.NewDecoder(r.Body).Decode(&p)
	h.mu.Lock()
	h.triggers = append(h.triggers, p.IDEvento)
	h.mu.Unlock()
}

func (h *hooks) seen() []int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]int(nil), h.triggers...)
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestScenarioCarriesOnAfterARestart closes a simulator mid-scenario and
// starts a new one on the same state file: the scenario carries on where it
// stopped, every webhook posted once (none lost, none repeated), and the
// process and its documents are still known.
func TestScenarioCarriesOnAfterARestart(t *testing.T) {
	h := &hooks{}
	hookSrv := httptest.NewServer(h)
	defer hookSrv.Close()
	path := filepath.Join(t.TempDir(), "arqsign.json")
	opts := Options{WebhookURL: hookSrv.URL, StepDelay: 150 * time.Millisecond}
	start := func() (*Simulator, *httptest.Server) {
		sim := New(opts)
		if err := sim.Persist(path); err != nil {
			t.Fatal(err)
		}
		return sim, httptest.NewServer(sim.Handler())
	}
	sim, api := start()
	c, err := arqsign.New(arqsign.Options{BaseURL: api.URL, ResponsibleID: "u", FolderID: "f"})
	if err != nil {
		t.Fatal(err)
	}
	pdf := []byte("%PDF-1.7\nrestart\n%%EOF\n")
	var signers []signing.Signer
	for _, n := range []string{"a", "b", "c", "d"} {
		signers = append(signers, signing.Signer{Name: n, Email: n + "@example.com", Order: len(signers) + 1})
	}
	res, err := c.Send(context.Background(), providers.SendRequest{
		Input: signing.Input{ProcessID: "p1", Provider: arqsign.Name, Title: "Restart [sim:sign]", ExpiresInDays: 10, Signers: signers},
		Documents: []providers.Document{{DocumentRef: signing.DocumentRef{Name: "c.pdf", Key: "k"}, Size: int64(len(pdf)),
			Open: func(context.Context) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(pdf)), nil }}},
	})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "two signatures", func() bool { return len(h.seen()) >= 3 })
	sim.Close()
	api.Close()
	v, _ := sim.Process(res.ProviderRef)
	known := len(v.Webhooks)
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("state file: %v %v", info, err)
	}
	before := len(h.seen())

	sim, api = start()
	defer func() { sim.Close(); api.Close() }()
	waitUntil(t, "the completion", func() bool {
		s := h.seen()
		return len(s) > 0 && s[len(s)-1] == arqsign.TriggerCompleted
	})
	want := []int{arqsign.TriggerSent, arqsign.TriggerSigned, arqsign.TriggerSigned, arqsign.TriggerSigned, arqsign.TriggerSigned, arqsign.TriggerCompleted}
	if got := h.seen(); !acrossRestart(got, want, known) {
		t.Fatalf("webhooks across the restart %v (%d received, %d known delivered before it), want each once: %v", got, before, known, want)
	}
	v, ok := sim.Process(res.ProviderRef)
	if !ok || v.Status != arqsign.StatusCompleted || len(v.SignedSHA256) == 0 {
		t.Fatalf("restored process %+v (known: %v)", v, ok)
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
