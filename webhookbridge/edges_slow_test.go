package webhookbridge

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/firmaflow/firmaflow/providers/arqsign"
	"github.com/firmaflow/firmaflow/signing"
)

// Test limits: a body must keep up 4 KiB/s after a 300 ms grace.
var quickLimits = ServerLimits{
	ReadHeaderTimeout: 5 * time.Second,
	ReadTimeout:       time.Minute,
	BodyGrace:         300 * time.Millisecond,
	MinBodyRate:       4 << 10,
	WriteTimeout:      time.Minute,
	IdleTimeout:       time.Minute,
	MaxConns:          64,
}

// trickle opens a connection, sends head, then one byte of body every
// 100 ms. It returns when the server closes the connection (or after
// giveUp), with what the server answered and when it hung up.
func trickle(t *testing.T, addr, head string, giveUp time.Duration) (answer string, closedAfter time.Duration) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	start := time.Now()
	_, err = io.WriteString(conn, head)
	require.NoError(t, err)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
				if _, err := conn.Write([]byte{' '}); err != nil {
					return
				}
			}
		}
	}()
	conn.SetReadDeadline(start.Add(giveUp))
	got, err := io.ReadAll(conn)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return string(got), giveUp
	}
	return string(got), time.Since(start)
}

// TestTrickledBodiesAreCutOff: a body trickling a byte every 100 ms (far
// under the 4 KiB/s pace) is cut off after the 300 ms grace, whether the
// route reads it (ArqSIGN must buffer it to check its HMAC; answered 408)
// or refused the request unread (the server's drain of the rest is paced
// too). Before, such connections stayed open as long as the client liked.
func TestTrickledBodiesAreCutOff(t *testing.T) {
	addr := serveBridge(t, edgeBridge(t, Options{Server: quickLimits}))
	for _, tc := range []struct {
		name, head, status string
	}{
		{"signed route reading the body", "POST /webhooks/arqsign HTTP/1.1\r\nHost: bridge\r\nHMAC: " + forgedHMAC + "\r\nContent-Length: 100000\r\n\r\n", "408"},
		{"token route refusing unread", "POST /webhooks/autosign HTTP/1.1\r\nHost: bridge\r\nContent-Length: 100000\r\n\r\n", "401"},
		{"chunked body", "POST /webhooks/arqsign HTTP/1.1\r\nHost: bridge\r\nHMAC: " + forgedHMAC + "\r\nTransfer-Encoding: chunked\r\n\r\n", "408"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			answer, closedAfter := trickle(t, addr, tc.head, 8*time.Second)
			t.Logf("closed after %v: %.40q", closedAfter, answer)
			require.Less(t, closedAfter, 3*time.Second, "cut off soon after the grace")
			require.True(t, strings.HasPrefix(answer, "HTTP/1.1 "+tc.status), "answered %s first: %q", tc.status, answer)
		})
	}
}

// TestBodyKeepingThePaceIsReadWhole: a signed body that takes three times
// the grace to arrive, but keeps the pace, is read and delivered: the pace
// cuts off trickles, not slow links.
func TestBodyKeepingThePaceIsReadWhole(t *testing.T) {
	d := &recordingDeliverer{}
	// A pace of 1 KiB/s with a 1 s grace; the body comes at about 5 KiB/s,
	// five times the pace, so a loaded machine's late sleeps cannot make
	// it fall behind, and takes about 4 s, past three graces.
	limits := quickLimits
	limits.BodyGrace, limits.MinBodyRate = time.Second, 1<<10
	addr := serveBridge(t, edgeBridge(t, Options{Server: limits, Deliverer: d}))
	body := fixture(t, "arqsign", "signed.json", func(m map[string]any) {
		m["padding"] = strings.Repeat("p", 20<<10) // about 20.5 KiB in all
	})
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	start := time.Now()
	fmt.Fprintf(conn, "POST /webhooks/arqsign HTTP/1.1\r\nHost: bridge\r\nHMAC: %s\r\nContent-Length: %d\r\n\r\n", arqsign.Sign(body, edgeSecret), len(body))
	// 256 bytes every 50 ms: 5 KiB/s.
	for rest := body; len(rest) > 0; rest = rest[min(256, len(rest)):] {
		_, err := conn.Write(rest[:min(256, len(rest))])
		require.NoError(t, err)
		time.Sleep(50 * time.Millisecond)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	resp.Body.Close()
	require.Greater(t, time.Since(start), 3*limits.BodyGrace, "the body took longer than a fixed grace would allow")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Len(t, d.events, 1)
}

// TestConnectionsBeyondTheCapWait: with MaxConns 2 and two connections
// held open, a third is not served until one of them closes.
func TestConnectionsBeyondTheCapWait(t *testing.T) {
	limits := quickLimits
	limits.MaxConns = 2
	addr := serveBridge(t, edgeBridge(t, Options{Server: limits}))
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		defer c.Close()
		io.WriteString(c, "GET /healthz HTTP/1.1\r\n") // headers never finished
		held = append(held, c)
	}
	third, err := net.Dial("tcp", addr) // the kernel completes it; the bridge does not accept it yet
	require.NoError(t, err)
	defer third.Close()
	io.WriteString(third, "GET /healthz HTTP/1.1\r\nHost: bridge\r\n\r\n")
	third.SetReadDeadline(time.Now().Add(time.Second))
	_, err = http.ReadResponse(bufio.NewReader(third), nil)
	require.Error(t, err, "not served while two connections are open")

	held[0].Close()
	third.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(third), nil)
	require.NoError(t, err, "served once a connection closed")
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

// TestIdleConnectionsAreClosed: a kept-alive connection that sends nothing
// more is closed after IdleTimeout.
func TestIdleConnectionsAreClosed(t *testing.T) {
	limits := quickLimits
	limits.IdleTimeout = 300 * time.Millisecond
	addr := serveBridge(t, edgeBridge(t, Options{Server: limits}))
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: bridge\r\n\r\n")
	r := bufio.NewReader(conn)
	resp, err := http.ReadResponse(r, nil)
	require.NoError(t, err)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	start := time.Now()
	conn.SetReadDeadline(start.Add(5 * time.Second))
	_, err = r.ReadByte()
	require.ErrorIs(t, err, io.EOF, "the server hung up")
	require.Less(t, time.Since(start), 3*time.Second)
}

// blockingDeliverer holds every delivery until its context ends.
type blockingDeliverer struct {
	mu        sync.Mutex
	cancelled int
}

func (d *blockingDeliverer) Deliver(ctx context.Context, _ signing.Event) error {
	select {
	case <-ctx.Done():
		d.mu.Lock()
		d.cancelled++
		d.mu.Unlock()
		return ctx.Err()
	case <-time.After(30 * time.Second):
		return nil
	}
}

// TestHandlingIsBoundedByWriteTimeout: once the body is in, the request has
// WriteTimeout to be handled and answered; a delivery that hangs is
// cancelled and the connection closed, not held for as long as it hangs.
func TestHandlingIsBoundedByWriteTimeout(t *testing.T) {
	limits := quickLimits
	limits.WriteTimeout = 300 * time.Millisecond
	d := &blockingDeliverer{}
	addr := serveBridge(t, edgeBridge(t, Options{Server: limits, Deliverer: d}))
	body := fixture(t, "arqsign", "signed.json", func(map[string]any) {})
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	start := time.Now()
	fmt.Fprintf(conn, "POST /webhooks/arqsign HTTP/1.1\r\nHost: bridge\r\nHMAC: %s\r\nContent-Length: %d\r\n\r\n%s", arqsign.Sign(body, edgeSecret), len(body), body)
	conn.SetReadDeadline(start.Add(10 * time.Second))
	answer, _ := io.ReadAll(conn)
	t.Logf("closed after %v: %.40q", time.Since(start), answer)
	require.Less(t, time.Since(start), 3*time.Second, "the connection is not held while delivery hangs")
	require.False(t, strings.HasPrefix(string(answer), "HTTP/1.1 2"), "never a 2xx for an undelivered event")
	require.Eventually(t, func() bool {
		d.mu.Lock()
		defer d.mu.Unlock()
		return d.cancelled == 1
	}, 5*time.Second, 10*time.Millisecond, "the hung delivery was cancelled")
}

// TestAnsweredAfterItsTimeTheConnectionCloses: when a request's context has
// ended by the time it is answered, the answer says Connection: close and
// the connection is not kept alive. Normally the write deadline closes it;
// on a loaded machine the handler can write before that deadline's timer
// fires, and the connection then sat in keep-alive (a CI failure of the
// test above). Here the request's context ends while both deadlines are
// far off, which is that situation made certain.
func TestAnsweredAfterItsTimeTheConnectionCloses(t *testing.T) {
	cancelled := make(chan struct{})
	d := delivererFunc(func(ctx context.Context, _ signing.Event) error {
		close(cancelled)
		<-ctx.Done()
		return ctx.Err()
	})
	b := edgeBridge(t, Options{Server: quickLimits, Deliverer: d})
	srv := b.Server()
	// A base context the test ends: the request's context ends with it,
	// while the connection's deadlines are a minute away.
	base, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv.BaseContext = func(net.Listener) context.Context { return base }
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go srv.Serve(b.Listener(ln))
	defer srv.Close()

	body := fixture(t, "arqsign", "signed.json", func(map[string]any) {})
	conn, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	fmt.Fprintf(conn, "POST /webhooks/arqsign HTTP/1.1\r\nHost: bridge\r\nHMAC: %s\r\nContent-Length: %d\r\n\r\n%s", arqsign.Sign(body, edgeSecret), len(body), body)
	<-cancelled
	cancel()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(conn)
	resp, err := http.ReadResponse(r, nil)
	require.NoError(t, err)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, "never a 2xx for an undelivered event")
	require.True(t, resp.Close, "the answer says Connection: close")
	_, err = r.ReadByte()
	require.ErrorIs(t, err, io.EOF, "the server hung up instead of keeping the connection alive")
}

// TestServerCarriesTheLimits: the http.Server the bridge is served with
// has every limit set, and unset limits take the defaults.
func TestServerCarriesTheLimits(t *testing.T) {
	srv := edgeBridge(t, Options{Server: quickLimits}).Server()
	require.Equal(t, quickLimits.ReadHeaderTimeout, srv.ReadHeaderTimeout)
	require.Equal(t, quickLimits.ReadTimeout, srv.ReadTimeout)
	require.Equal(t, quickLimits.ReadTimeout+quickLimits.WriteTimeout, srv.WriteTimeout)
	require.Equal(t, quickLimits.IdleTimeout, srv.IdleTimeout)
	require.Equal(t, maxHeaderBytes, srv.MaxHeaderBytes)
	def := edgeBridge(t, Options{})
	require.Equal(t, DefaultServerLimits, def.opts.Server)
	require.Equal(t, DefaultServerLimits.IdleTimeout, def.Server().IdleTimeout)
}

// delivererFunc is a Deliverer made of one function.
type delivererFunc func(ctx context.Context, ev signing.Event) error

func (f delivererFunc) Deliver(ctx context.Context, ev signing.Event) error { return f(ctx, ev) }
