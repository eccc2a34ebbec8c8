package loadtest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"
)

// webhookPoster posts the ingest scenario's webhooks the way a load
// generator such as wrk does: one kept-alive HTTP/1.1 connection per
// request in flight, each request written whole and its answer read on the
// caller's goroutine. net/http's client hands every request to two
// goroutines of its own; on a small machine shared with the bridge, that
// work, which a provider does on its own machines, was charged to the
// bridge. Requests are serialized, and answers parsed, by net/http.
type webhookPoster struct {
	addr    string // host:port to dial
	tls     *tls.Config
	timeout time.Duration
	// idle holds the connections not in use (at most concurrency).
	idle chan *posterConn
}

type posterConn struct {
	net.Conn
	r *bufio.Reader
}

// newWebhookPoster posts to the bridge at base (http or https).
func newWebhookPoster(base string, concurrency int, timeout time.Duration) (*webhookPoster, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("loadtest: bridge URL: %w", err)
	}
	p := &webhookPoster{timeout: timeout, idle: make(chan *posterConn, concurrency)}
	port := u.Port()
	switch u.Scheme {
	case "http":
		if port == "" {
			port = "80"
		}
	case "https":
		if port == "" {
			port = "443"
		}
		p.tls = &tls.Config{ServerName: u.Hostname(), MinVersion: tls.VersionTLS12}
	default:
		return nil, fmt.Errorf("loadtest: bridge URL %q: scheme must be http or https", base)
	}
	p.addr = net.JoinHostPort(u.Hostname(), port)
	return p, nil
}

// serializedRequest is a webhook as it goes on the wire.
type serializedRequest struct {
	method string
	wire   []byte
}

// wire is webhook number n for the provider process ref of process id,
// serialized for the bridge at base.
func (w *webhookWriter) wire(base, id, ref string, n int) (serializedRequest, error) {
	h, err := w.request(id, ref, n)
	if err != nil {
		return serializedRequest{}, err
	}
	return serialize(base, h)
}

// serialize writes hook as an HTTP/1.1 request to the bridge at base.
func serialize(base string, h webhookRequest) (serializedRequest, error) {
	req, err := http.NewRequest(http.MethodPost, base+h.path, bytes.NewReader(h.body))
	if err != nil {
		return serializedRequest{}, fmt.Errorf("loadtest: webhook request: %w", err)
	}
	req.Header = h.header.Clone()
	var buf bytes.Buffer
	if err := req.Write(&buf); err != nil {
		return serializedRequest{}, fmt.Errorf("loadtest: serialize webhook: %w", err)
	}
	return serializedRequest{method: req.Method, wire: buf.Bytes()}, nil
}

// post sends req and returns the answer's status code.
func (p *webhookPoster) post(ctx context.Context, req serializedRequest) (int, error) {
	c, err := p.conn(ctx)
	if err != nil {
		return 0, err
	}
	deadline := time.Now().Add(p.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = c.SetDeadline(deadline)
	status, keep, err := c.roundTrip(req)
	if err != nil || !keep {
		c.Close()
		return status, err
	}
	select {
	case p.idle <- c:
	default:
		c.Close()
	}
	return status, nil
}

func (c *posterConn) roundTrip(req serializedRequest) (status int, keep bool, err error) {
	if _, err := c.Write(req.wire); err != nil {
		return 0, false, fmt.Errorf("loadtest: write webhook: %w", err)
	}
	resp, err := http.ReadResponse(c.r, &http.Request{Method: req.method})
	if err != nil {
		return 0, false, fmt.Errorf("loadtest: read answer: %w", err)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return resp.StatusCode, false, fmt.Errorf("loadtest: read answer: %w", err)
	}
	return resp.StatusCode, !resp.Close, nil
}

// conn is an idle connection, or a new one.
func (p *webhookPoster) conn(ctx context.Context) (*posterConn, error) {
	select {
	case c := <-p.idle:
		return c, nil
	default:
	}
	d := net.Dialer{Timeout: p.timeout}
	var c net.Conn
	var err error
	if p.tls != nil {
		c, err = (&tls.Dialer{NetDialer: &d, Config: p.tls}).DialContext(ctx, "tcp", p.addr)
	} else {
		c, err = d.DialContext(ctx, "tcp", p.addr)
	}
	if err != nil {
		return nil, fmt.Errorf("loadtest: dial bridge: %w", err)
	}
	return &posterConn{Conn: c, r: bufio.NewReader(c)}, nil
}

// Close closes the idle connections.
func (p *webhookPoster) Close() error {
	var errs []error
	for {
		select {
		case c := <-p.idle:
			errs = append(errs, c.Close())
		default:
			return errors.Join(errs...)
		}
	}
}
