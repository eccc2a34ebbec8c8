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
	"sync"
	"syscall"
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

	mu sync.Mutex
	// resent counts requests sent again because their kept-alive
	// connection was found closed; longestIdle is the longest such
	// connection had been idle.
	resent      int
	longestIdle time.Duration
}

// takeResent returns and clears the count of requests sent again, and the
// longest idle time of the connections found closed.
func (p *webhookPoster) takeResent() (int, time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n, idle := p.resent, p.longestIdle
	p.resent, p.longestIdle = 0, 0
	return n, idle
}

type posterConn struct {
	net.Conn
	r *bufio.Reader
	// received counts the bytes read from the connection.
	received int64
	// reused: the connection carried an earlier request, whose answer
	// came at idleSince.
	reused    bool
	idleSince time.Time
}

func (c *posterConn) countingReader() io.Reader {
	return readerFunc(func(b []byte) (int, error) {
		n, err := c.Conn.Read(b)
		c.received += int64(n)
		return n, err
	})
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(b []byte) (int, error) { return f(b) }

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
	status, keep, err := p.roundTrip(ctx, c, req)
	if err != nil && c.reused && closedUnanswered(c, err) {
		// The server closed the kept-alive connection while it sat idle
		// (its IdleTimeout ran out between phases) and never answered
		// this request: send it once more on a new connection, as HTTP
		// clients do with a kept-alive connection found closed.
		c.Close()
		p.mu.Lock()
		p.resent++
		p.longestIdle = max(p.longestIdle, time.Since(c.idleSince))
		p.mu.Unlock()
		if c, err = p.dial(ctx); err != nil {
			return 0, err
		}
		status, keep, err = p.roundTrip(ctx, c, req)
	}
	if err != nil || !keep {
		c.Close()
		return status, err
	}
	c.reused, c.idleSince = true, time.Now()
	select {
	case p.idle <- c:
	default:
		c.Close()
	}
	return status, nil
}

// closedUnanswered reports whether err is the connection closed by the
// server before a byte of the answer came back.
func closedUnanswered(c *posterConn, err error) bool {
	return c.received == 0 && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE))
}

func (p *webhookPoster) roundTrip(ctx context.Context, c *posterConn, req serializedRequest) (status int, keep bool, err error) {
	deadline := time.Now().Add(p.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = c.SetDeadline(deadline)
	c.received = 0
	return c.roundTrip(req)
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
	return p.dial(ctx)
}

// dial opens a new connection to the bridge.
func (p *webhookPoster) dial(ctx context.Context) (*posterConn, error) {
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
	pc := &posterConn{Conn: c}
	pc.r = bufio.NewReader(pc.countingReader())
	return pc, nil
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
