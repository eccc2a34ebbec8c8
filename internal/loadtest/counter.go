package loadtest

import (
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// WebhookCounter counts the webhook requests a bridge receives and the
// time the bridge spends on them.
type WebhookCounter struct {
	n atomic.Int64
	// busy is nanoseconds from the bridge's outermost handler being called
	// to its returning, summed over webhooks.
	busy atomic.Int64
}

// Middleware counts and times every POST under /webhooks/. It wraps the
// bridge's whole handler, so the time is the bridge's: its middleware,
// the provider's parser, its Temporal calls and its answer.
func (w *WebhookCounter) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, "/webhooks/") {
			next.ServeHTTP(rw, r)
			return
		}
		w.n.Add(1)
		start := time.Now()
		next.ServeHTTP(rw, r)
		w.busy.Add(int64(time.Since(start)))
	})
}

// Busy is the time the bridge has spent on webhooks so far; -1 on a nil
// counter (not measured).
func (w *WebhookCounter) Busy() time.Duration {
	if w == nil {
		return -1
	}
	return time.Duration(w.busy.Load())
}

// Count is the number of webhooks so far; -1 on a nil counter (not counted).
func (w *WebhookCounter) Count() int64 {
	if w == nil {
		return -1
	}
	return w.n.Load()
}
