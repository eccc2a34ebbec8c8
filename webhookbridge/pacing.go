package webhookbridge

import (
	"errors"
	"io"
	"net/http"
	"os"
	"time"
)

// paceBodies makes every request body arrive at ServerLimits' pace, by
// moving the connection's read deadline as the body comes in. A fixed read
// timeout cannot both let a 128 MiB archive in over a slow link and cut a
// trickle off quickly; a pace can. Requests without a body get their
// WriteTimeout from the start.
func paceBodies(next http.Handler, l ServerLimits) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		now := time.Now()
		if r.Body == nil || r.Body == http.NoBody {
			// Errors only mean the writer has no connection (tests): no pace.
			_ = rc.SetWriteDeadline(now.Add(l.WriteTimeout))
			next.ServeHTTP(w, r)
			return
		}
		block := max(int64(float64(l.MinBodyRate)*l.BodyGrace.Seconds()), 1)
		p := &pacedBody{ReadCloser: r.Body, rc: rc, limits: l, end: now.Add(l.ReadTimeout), block: block, next: block}
		p.setReadDeadline(now.Add(l.BodyGrace))
		r.Body = p
		next.ServeHTTP(w, r)
	})
}

// pacedBody is a request body whose next block must arrive within
// BodyGrace, and the whole of it before ReadTimeout.
type pacedBody struct {
	io.ReadCloser
	rc     *http.ResponseController
	limits ServerLimits
	// end is the ReadTimeout backstop.
	end time.Time
	// block is how many bytes earn another BodyGrace; next is where the
	// current block ends.
	block, read, next int64
	done, timedOut    bool
}

func (p *pacedBody) Read(b []byte) (int, error) {
	n, err := p.ReadCloser.Read(b)
	p.read += int64(n)
	switch {
	case errors.Is(err, io.EOF) && !p.done:
		// The body is in: from now on the handler's time counts, and the
		// server's read of the next request has its own timeouts. Clearing
		// the pace matters: the server keeps reading the connection in the
		// background, and a deadline hit there cancels the request.
		p.done = true
		after := time.Now().Add(p.limits.WriteTimeout)
		_ = p.rc.SetReadDeadline(after)
		_ = p.rc.SetWriteDeadline(after)
	case errors.Is(err, os.ErrDeadlineExceeded):
		p.timedOut = true
	case p.read >= p.next:
		p.next = p.read + p.block
		p.setReadDeadline(time.Now().Add(p.limits.BodyGrace))
	}
	return n, err
}

func (p *pacedBody) setReadDeadline(t time.Time) {
	if t.After(p.end) {
		t = p.end
	}
	// Errors only mean the writer has no connection (tests): no pace.
	_ = p.rc.SetReadDeadline(t)
}

// errBodyTooSlow: the body did not keep pace (408; a redelivery can pass).
var errBodyTooSlow = errors.New("request body too slow")

// bodyTooSlow reports whether r's body was cut off for not keeping pace.
func bodyTooSlow(r *http.Request) bool {
	p, ok := r.Body.(*pacedBody)
	return ok && p.timedOut
}
