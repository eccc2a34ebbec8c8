package cluster

import (
	"bytes"
	"io"
	"net/http"
	"sync/atomic"
	"time"
)

// maxFrontBody caps a webhook the front buffers (the bridges cap their
// routes lower).
const maxFrontBody = 64 << 20

// front hands each request to the bridges in turn, as a load balancer
// does: a bridge that does not answer (killed) is skipped for the next,
// so every bridge must be able to deliver any event.
type front struct {
	bridges []string // base URLs
	next    atomic.Uint64
	client  *http.Client
	served  []atomic.Int64 // requests each bridge answered
}

func newFront(bridges []string) *front {
	return &front{bridges: bridges, served: make([]atomic.Int64, len(bridges)), client: &http.Client{
		Timeout:       2 * time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (f *front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxFrontBody))
	if err != nil {
		http.Error(w, "body too large or unreadable", http.StatusRequestEntityTooLarge)
		return
	}
	start := f.next.Add(1)
	for i := range len(f.bridges) {
		n := (int(start) + i) % len(f.bridges)
		base := f.bridges[n]
		req, err := http.NewRequestWithContext(r.Context(), r.Method, base+r.URL.RequestURI(), bytes.NewReader(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		req.Header = r.Header.Clone()
		resp, err := f.client.Do(req)
		if err != nil {
			continue // this bridge is down: the next one
		}
		f.served[n].Add(1)
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
		resp.Body.Close()
		return
	}
	w.Header().Set("Retry-After", "1")
	http.Error(w, "no bridge answered", http.StatusBadGateway)
}
