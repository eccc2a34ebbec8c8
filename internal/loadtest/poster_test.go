package loadtest

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// posterServer records what reached it and counts its connections.
type posterServer struct {
	*httptest.Server
	conns  atomic.Int32
	mu     sync.Mutex
	bodies []string
	tokens []string
	paths  []string
}

func newPosterServer(t *testing.T, tls bool, answer func(w http.ResponseWriter, n int), configure ...func(*http.Server)) *posterServer {
	s := &posterServer{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		require.NoError(t, err)
		s.mu.Lock()
		s.bodies = append(s.bodies, string(body))
		s.tokens = append(s.tokens, r.Header.Get("X-Token"))
		s.paths = append(s.paths, r.URL.Path)
		n := len(s.bodies)
		s.mu.Unlock()
		answer(w, n)
	}))
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	for _, c := range configure {
		c(s.Config)
	}
	if tls {
		s.StartTLS()
	} else {
		s.Start()
	}
	t.Cleanup(s.Close)
	return s
}

func hook(path, body string) webhookRequest {
	return webhookRequest{path: path, header: http.Header{"X-Token": {"s3cret"}, "Content-Type": {"application/json"}}, body: []byte(body)}
}

func TestPosterKeepsItsConnectionAndSendsEachRequestWhole(t *testing.T) {
	srv := newPosterServer(t, false, func(w http.ResponseWriter, n int) { w.WriteHeader(http.StatusOK) })
	p, err := newWebhookPoster(srv.URL, 1, time.Minute)
	require.NoError(t, err)
	defer p.Close()
	var want []string
	for i, body := range []string{`{"n":1}`, `{"n":2}`, `{"n":3}`} {
		req, err := serialize(srv.URL, hook("/webhooks/x/process/"+string(rune('a'+i)), body))
		require.NoError(t, err)
		status, err := p.post(context.Background(), req)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, status)
		want = append(want, body)
	}
	require.Equal(t, want, srv.bodies)
	require.Equal(t, []string{"s3cret", "s3cret", "s3cret"}, srv.tokens)
	require.Equal(t, []string{"/webhooks/x/process/a", "/webhooks/x/process/b", "/webhooks/x/process/c"}, srv.paths)
	require.EqualValues(t, 1, srv.conns.Load(), "one kept-alive connection")
}

func TestPosterRedialsAfterTheServerClosesAndReturnsEveryStatus(t *testing.T) {
	srv := newPosterServer(t, false, func(w http.ResponseWriter, n int) {
		if n == 1 {
			w.Header().Set("Connection", "close")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})
	p, err := newWebhookPoster(srv.URL, 1, time.Minute)
	require.NoError(t, err)
	defer p.Close()
	req, err := serialize(srv.URL, hook("/webhooks/x", `{}`))
	require.NoError(t, err)
	status, err := p.post(context.Background(), req)
	require.NoError(t, err)
	require.Equal(t, http.StatusServiceUnavailable, status)
	status, err = p.post(context.Background(), req)
	require.NoError(t, err)
	require.Equal(t, http.StatusAccepted, status)
	require.EqualValues(t, 2, srv.conns.Load(), "a new connection after Connection: close")
}

func TestPosterSpeaksTLS(t *testing.T) {
	srv := newPosterServer(t, true, func(w http.ResponseWriter, n int) { w.WriteHeader(http.StatusOK) })
	p, err := newWebhookPoster(srv.URL, 2, time.Minute)
	require.NoError(t, err)
	defer p.Close()
	require.NotNil(t, p.tls, "https is spoken over TLS")
	p.tls.RootCAs = srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	p.tls.ServerName = "example.com" // httptest's certificate names it
	req, err := serialize(srv.URL, hook("/webhooks/x", `{"tls":true}`))
	require.NoError(t, err)
	status, err := p.post(context.Background(), req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, []string{`{"tls":true}`}, srv.bodies)
}

func TestPosterRefusesOtherSchemesAndReportsADeadServer(t *testing.T) {
	_, err := newWebhookPoster("ftp://bridge", 1, time.Minute)
	require.ErrorContains(t, err, "scheme")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	base := "http://" + ln.Addr().String()
	ln.Close()
	p, err := newWebhookPoster(base, 1, time.Second)
	require.NoError(t, err)
	req, err := serialize(base, hook("/webhooks/x", `{}`))
	require.NoError(t, err)
	_, err = p.post(context.Background(), req)
	require.ErrorContains(t, err, "dial bridge")
}

// A kept-alive connection the server closed while it sat idle (its
// IdleTimeout ran out between phases) is found closed on the next
// request: the request goes once more, on a new connection, and reaches
// the server once.
func TestPosterResendsOnANewConnectionWhenTheServerClosedAnIdleOne(t *testing.T) {
	srv := newPosterServer(t, false, func(w http.ResponseWriter, n int) { w.WriteHeader(http.StatusOK) },
		func(s *http.Server) { s.IdleTimeout = 20 * time.Millisecond })
	p, err := newWebhookPoster(srv.URL, 1, time.Minute)
	require.NoError(t, err)
	defer p.Close()
	for i, body := range []string{`{"n":1}`, `{"n":2}`} {
		if i > 0 {
			time.Sleep(200 * time.Millisecond) // past the server's IdleTimeout
		}
		req, err := serialize(srv.URL, hook("/webhooks/x", body))
		require.NoError(t, err)
		status, err := p.post(context.Background(), req)
		require.NoError(t, err, "request %d", i+1)
		require.Equal(t, http.StatusOK, status)
	}
	srv.mu.Lock()
	require.Equal(t, []string{`{"n":1}`, `{"n":2}`}, srv.bodies, "each request reached the server once")
	srv.mu.Unlock()
	require.EqualValues(t, 2, srv.conns.Load())
	resent, idle := p.takeResent()
	require.Equal(t, 1, resent)
	require.GreaterOrEqual(t, idle, 200*time.Millisecond)
	resent, _ = p.takeResent()
	require.Zero(t, resent, "taken")
}

// A new connection closed without an answer is an error: nothing says the
// server did not act on the request, so it is not sent again.
func TestPosterDoesNotResendOnANewConnection(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		conn, _, err := http.NewResponseController(w).Hijack()
		require.NoError(t, err)
		conn.Close()
	}))
	defer srv.Close()
	p, err := newWebhookPoster(srv.URL, 1, time.Minute)
	require.NoError(t, err)
	defer p.Close()
	req, err := serialize(srv.URL, hook("/webhooks/x", `{}`))
	require.NoError(t, err)
	_, err = p.post(context.Background(), req)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	require.EqualValues(t, 1, requests.Load())
}
