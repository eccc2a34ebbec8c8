// Package simkit holds what every provider simulator shares: webhook
// delivery with the provider-like redelivery on failure, and fault
// injection for the reliability tests (API calls failing with 5xx or 429,
// webhooks delivered several times, out of order).
package simkit

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Faults configure fault injection; the zero value injects none.
type Faults struct {
	// APIFailRate is the share of API calls answered 503 or 429 (with
	// Retry-After) before they take effect. Control routes (/sim/) and
	// document downloads are exempt.
	APIFailRate float64
	// Copies delivers each webhook this many times at most (at least once);
	// copies leave after a random Jitter, so deliveries interleave.
	Copies int
	Jitter time.Duration
	Seed   uint64
	// SlowRate is the share of state-changing API calls (not GET, not
	// /sim/) that take effect at once but are answered only after
	// SlowDelay: slower than an activity's heartbeat timeout, they show
	// whether a client calls twice.
	SlowRate  float64
	SlowDelay time.Duration
	// SlowOn, when set, switches slow calls on and off at run time (they
	// are on while it is true), so a test can keep them apart from a
	// fault injected at another moment.
	SlowOn *atomic.Bool
}

// Injector applies Faults.
type Injector struct {
	f  Faults
	mu sync.Mutex
	r  *rand.Rand
	// Failed counts injected API failures; Slowed counts calls answered late.
	Failed int
	Slowed int
}

// NewInjector returns an injector for f.
func NewInjector(f Faults) *Injector {
	return &Injector{f: f, r: rand.New(rand.NewPCG(f.Seed, f.Seed^0x9e3779b97f4a7c15))}
}

func (in *Injector) float() float64 {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.r.Float64()
}

// Middleware fails a share of API calls before they reach the simulator.
func (in *Injector) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if in.f.APIFailRate > 0 && !strings.HasPrefix(r.URL.Path, "/sim/") && r.Method != http.MethodGet {
			if x := in.float(); x < in.f.APIFailRate {
				in.mu.Lock()
				in.Failed++
				in.mu.Unlock()
				if x < in.f.APIFailRate/2 {
					w.Header().Set("Retry-After", "1")
					http.Error(w, "rate limited (injected)", http.StatusTooManyRequests)
					return
				}
				http.Error(w, "unavailable (injected)", http.StatusServiceUnavailable)
				return
			}
		}
		if in.slowCall(r) {
			in.answerLate(w, r, next)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Delivery is one webhook to deliver.
type Delivery struct {
	URL      string
	Body     []byte
	Header   http.Header
	Attempts int
	Backoff  time.Duration
}

// Result says how a delivery went.
type Result struct {
	Delivered bool // at least one copy was answered 200
	Refused   int  // answers other than 200
	// Final: the receiver refused in a way the provider does not retry
	// (401, 403, 404 for ArqSIGN-like providers).
	Final bool
	// Attempts counts POSTs (every copy and redelivery); Status is the last
	// answer (0: none); FirstOK is when the first 200 came. The ledger
	// records them.
	Attempts int
	Status   int
	FirstOK  time.Time
}

// Deliver posts d until a 200 or the attempts run out, redelivering with a
// doubling backoff like a provider does. With faults set it sends several
// copies, each after a random delay, and reports once all are done.
func (in *Injector) Deliver(ctx context.Context, client *http.Client, d Delivery, final func(status int) bool) Result {
	copies := 1
	if in != nil && in.f.Copies > 1 {
		copies = 1 + int(in.float()*float64(in.f.Copies))
		copies = min(copies, in.f.Copies)
		if copies < 2 {
			copies = 2 // "delivered 2–3 times": at least one duplicate
		}
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var res Result
	for i := 0; i < copies; i++ {
		var delay time.Duration
		if in != nil && in.f.Jitter > 0 {
			delay = time.Duration(in.float() * float64(in.f.Jitter))
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-ctx.Done():
				return
			case <-time.After(delay):
			}
			r := deliverOnce(ctx, client, d, final)
			mu.Lock()
			res.Delivered = res.Delivered || r.Delivered
			res.Refused += r.Refused
			res.Final = res.Final || r.Final
			res.Attempts += r.Attempts
			if r.Status != 0 {
				res.Status = r.Status
			}
			if !r.FirstOK.IsZero() && (res.FirstOK.IsZero() || r.FirstOK.Before(res.FirstOK)) {
				res.FirstOK = r.FirstOK
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return res
}

func deliverOnce(ctx context.Context, client *http.Client, d Delivery, final func(int) bool) Result {
	var res Result
	backoff := d.Backoff
	for attempt := 1; attempt <= d.Attempts; attempt++ {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(d.Body))
		for k, v := range d.Header {
			req.Header[k] = v
		}
		res.Attempts++
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			res.Status = resp.StatusCode
			if resp.StatusCode == http.StatusOK {
				res.Delivered, res.FirstOK = true, time.Now()
				return res
			}
			res.Refused++
			if final != nil && final(resp.StatusCode) {
				res.Final = true
				return res
			}
		}
		select {
		case <-ctx.Done():
			return res
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 2*time.Second)
	}
	return res
}

// Counts are what a simulator saw a client do to one process: the
// reliability test reads them to prove nothing happened twice.
type Counts struct {
	Resends   int `json:"resends"`
	Renewals  int `json:"renewals"`
	Cancels   int `json:"cancels"`
	Downloads int `json:"downloads"`
	// WebhooksRefused counts deliveries the bridge answered non-2xx.
	WebhooksRefused int `json:"webhooks_refused"`
}

// WriteJSON answers with a JSON body.
func WriteJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}
