package simkit

import (
	"bytes"
	"net/http"
	"strings"
	"time"
)

// Slow calls: a provider that takes effect at once but answers late (an
// overloaded API gateway). A client that gives up, or whose activity
// heartbeat times out, and calls again has made the call twice: the ledger
// shows it.

// slowCall draws whether this request is answered late.
func (in *Injector) slowCall(r *http.Request) bool {
	if in.f.SlowRate <= 0 || in.f.SlowDelay <= 0 || strings.HasPrefix(r.URL.Path, "/sim/") || r.Method == http.MethodGet {
		return false
	}
	if in.f.SlowOn != nil && !in.f.SlowOn.Load() {
		return false
	}
	if in.float() >= in.f.SlowRate {
		return false
	}
	in.mu.Lock()
	in.Slowed++
	in.mu.Unlock()
	return true
}

// answerLate serves the request at once and holds the answer for SlowDelay.
func (in *Injector) answerLate(w http.ResponseWriter, r *http.Request, next http.Handler) {
	rec := &recorder{header: http.Header{}, code: http.StatusOK}
	next.ServeHTTP(rec, r)
	select {
	case <-r.Context().Done(): // the client gave up; the effect stays
		return
	case <-time.After(in.f.SlowDelay):
	}
	for k, v := range rec.header {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.code)
	w.Write(rec.body.Bytes())
}

// recorder buffers an answer.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
	wrote  bool
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.code, r.wrote = code, true
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.body.Write(b)
}
