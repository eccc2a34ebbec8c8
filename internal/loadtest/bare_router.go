package loadtest

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/signing"
	"github.com/firmaflow/firmaflow/webhookbridge"
)

// routeTable maps provider processes to bare workflows, in memory.
type routeTable struct {
	mu     sync.Mutex
	owners map[string]string
	added  chan struct{} // closed and replaced on every add
}

func newRouteTable() *routeTable {
	return &routeTable{owners: map[string]string{}, added: make(chan struct{})}
}

func (t *routeTable) add(provider, ref, workflowID string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.owners[provider+"/"+ref] = workflowID
	close(t.added)
	t.added = make(chan struct{})
}

// owner waits, up to wait, for the workflow of a provider process: a
// webhook can beat the send activity's return.
func (t *routeTable) owner(ctx context.Context, provider, ref string, wait time.Duration) (string, bool) {
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		t.mu.Lock()
		id, ok := t.owners[provider+"/"+ref]
		added := t.added
		t.mu.Unlock()
		if ok {
			return id, true
		}
		select {
		case <-added:
		case <-deadline.C:
			return "", false
		case <-ctx.Done():
			return "", false
		}
	}
}

// bareRouter is the webhook endpoint a hand-written service would have:
// it authenticates the provider's token, parses with the provider's own
// parser, and signals the workflow the route table names. One Temporal
// call per event; no durability for events that come too early.
type bareRouter struct {
	providers *providers.Registry
	secrets   map[string]string
	client    client.Client
	routes    *routeTable
	log       *slog.Logger
}

func (b *bareRouter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, subpath, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/webhooks/"), "/")
	hook, ok := b.providers.Webhook(name)
	if r.Method != http.MethodPost || !ok {
		http.NotFound(w, r)
		return
	}
	token := r.Header.Get(webhookbridge.TokenHeader)
	if token == "" {
		token = r.URL.Query().Get("token")
	}
	if !sameSecret(b.secrets[name], token) {
		http.Error(w, "unauthenticated", http.StatusUnauthorized)
		return
	}
	events, err := hook.Parse(r.Context(), strings.Trim(subpath, "/"), r.Header, http.MaxBytesReader(w, r.Body, 1<<20), nil)
	var invalid *providers.InvalidPayloadError
	if errors.As(err, &invalid) {
		http.Error(w, "invalid payload", http.StatusBadRequest)
		return
	}
	if err != nil {
		http.Error(w, "unreadable", http.StatusServiceUnavailable)
		return
	}
	for _, ev := range events {
		id, ok := b.routes.owner(r.Context(), ev.Provider, ev.ProviderRef, 30*time.Second)
		if !ok {
			http.Error(w, "no workflow for this process yet", http.StatusServiceUnavailable)
			return
		}
		if err := b.client.SignalWorkflow(r.Context(), id, "", signing.SignalEvent, ev); err != nil {
			b.log.Warn("bare router: signal failed", "workflow_id", id, "error", err)
			http.Error(w, "not delivered", http.StatusServiceUnavailable)
			return
		}
	}
	hook.Acknowledge(w, nil)
}

// sameSecret compares in constant time; an empty configured secret
// matches nothing.
func sameSecret(configured, presented string) bool {
	if configured == "" || presented == "" {
		return false
	}
	a, b := sha256.Sum256([]byte(configured)), sha256.Sum256([]byte(presented))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}
