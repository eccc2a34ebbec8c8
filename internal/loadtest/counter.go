package loadtest

import (
	"net/http"
	"strings"
	"sync/atomic"
)

// WebhookCounter counts the webhook requests a bridge receives.
type WebhookCounter struct{ n atomic.Int64 }

// Middleware counts every POST under /webhooks/ before passing it on.
func (w *WebhookCounter) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/webhooks/") {
			w.n.Add(1)
		}
		next.ServeHTTP(rw, r)
	})
}

// Count is the number of webhooks so far; -1 on a nil counter (not counted).
func (w *WebhookCounter) Count() int64 {
	if w == nil {
		return -1
	}
	return w.n.Load()
}
