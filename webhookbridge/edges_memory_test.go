package webhookbridge

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A well-formed signature that is not the body's: what an attacker without
// the secret can send.
var forgedHMAC = strings.Repeat("ab", 32)

// heapBound is what the attacks below may grow the heap by: the budget
// live, and at most as much again in released chunks the GC has not taken
// yet (under -race, sync.Pool drops a quarter of what it is given, so
// fewer chunks are reused). Without the budget the growth was over 500 MiB.
const heapBound = 2 * DefaultMaxBufferedBytes

// TestBadSignatureBodiesStayWithinTheBufferBudget: 40 concurrent 8 MiB
// bodies with a forged signature on the signed route, each held back at
// its last byte so that all of them are in flight at once. The bridge may
// hold no more than its buffer budget (64 MiB by default) of them: the
// rest are refused with 503 and Retry-After before they are read. Before
// the budget, every body was read whole and the heap grew by over 320 MiB.
func TestBadSignatureBodiesStayWithinTheBufferBudget(t *testing.T) {
	const bodies, size = 40, 8 << 20
	attack := signedRouteAttack{bodies: bodies, size: size, contentLength: true}
	res := attack.run(t, edgeBridge(t, Options{}))
	t.Logf("peak heap growth %d MiB; answers %v", res.peakGrowth>>20, res.statuses)
	require.Less(t, res.peakGrowth, int64(heapBound),
		"at most the budget of unauthenticated bodies is held at once")
	require.GreaterOrEqual(t, res.statuses[http.StatusServiceUnavailable]+res.statuses[0], bodies-int(DefaultMaxBufferedBytes/size),
		"bodies over the budget are refused before they are read")
	require.Equal(t, res.statuses[http.StatusServiceUnavailable], res.retryAfter, "every 503 says when to come back")
	for status := range res.statuses {
		require.False(t, status >= 200 && status < 300, "nothing forged is accepted")
	}
}

// TestBadSignatureChunkedBodiesStayWithinTheBufferBudget: the same attack
// with bodies of no declared length (chunked): the budget is taken as the
// bytes arrive, so an over-budget body is cut off mid-way.
func TestBadSignatureChunkedBodiesStayWithinTheBufferBudget(t *testing.T) {
	const bodies, size = 40, 8 << 20
	attack := signedRouteAttack{bodies: bodies, size: size}
	res := attack.run(t, edgeBridge(t, Options{}))
	t.Logf("peak heap growth %d MiB; answers %v", res.peakGrowth>>20, res.statuses)
	require.Less(t, res.peakGrowth, int64(heapBound))
	for status := range res.statuses {
		require.False(t, status >= 200 && status < 300, "nothing forged is accepted")
	}
}

type signedRouteAttack struct {
	bodies int
	size   int64
	// contentLength declares each body's length; without it the bodies
	// are sent chunked.
	contentLength bool
}

type attackResult struct {
	peakGrowth int64
	// statuses counts the answers; 0 counts requests cut off without one.
	statuses   map[int]int
	retryAfter int
}

// run sends the bodies at once, holds each at its last byte until every one
// is either held there or answered, samples the heap meanwhile, then lets
// them finish.
func (a signedRouteAttack) run(t *testing.T, b *Bridge) attackResult {
	t.Helper()
	srv := httptest.NewServer(b.Handler())
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true, MaxConnsPerHost: 0}, Timeout: time.Minute}

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var peak atomic.Uint64
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > peak.Load() {
				peak.Store(m.HeapAlloc)
			}
			select {
			case <-stopSampling:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()

	release := make(chan struct{})
	settled := make(chan struct{}, a.bodies)
	var mu sync.Mutex
	res := attackResult{statuses: map[int]int{}}
	var wg sync.WaitGroup
	for range a.bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var once sync.Once
			settle := func() { once.Do(func() { settled <- struct{}{} }) }
			body := &heldBody{left: a.size, atLast: settle, release: release}
			req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, srv.URL+"/webhooks/arqsign/completion", body)
			require.NoError(t, err)
			req.Header.Set("HMAC", forgedHMAC)
			if a.contentLength {
				req.ContentLength = a.size
			} else {
				req.ContentLength = -1
			}
			resp, err := client.Do(req)
			settle()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				res.statuses[0]++
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			res.statuses[resp.StatusCode]++
			if resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") != "" {
				res.retryAfter++
			}
		}()
	}
	for range a.bodies {
		select {
		case <-settled:
		case <-time.After(time.Minute):
			t.Fatal("the attack's requests neither reached their last byte nor got an answer")
		}
	}
	// Every request is now held at its last byte or answered: what the
	// bridge buffers is in the heap.
	time.Sleep(300 * time.Millisecond)
	close(release)
	wg.Wait()
	close(stopSampling)
	<-sampled
	res.peakGrowth = int64(peak.Load()) - int64(before.HeapAlloc)
	return res
}

// heldBody is size bytes of 'x' that stops before its last byte until
// release is closed.
type heldBody struct {
	left    int64
	atLast  func()
	release chan struct{}
}

var filler = []byte(strings.Repeat("x", 32<<10))

func (h *heldBody) Read(p []byte) (int, error) {
	switch {
	case h.left == 0:
		return 0, io.EOF
	case h.left == 1:
		h.atLast()
		<-h.release
		p[0] = 'x'
		h.left = 0
		return 1, nil
	}
	n := int64(copy(p, filler))
	n = min(n, h.left-1)
	h.left -= n
	return int(n), nil
}
