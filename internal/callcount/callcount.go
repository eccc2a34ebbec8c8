// Package callcount counts the Temporal calls a client makes, by method:
// how tests prove that the event path makes no visibility query and costs
// one call per webhook, and what the load tool reports.
package callcount

import (
	"context"
	"fmt"
	"maps"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
)

// Counter counts the gRPC calls one Temporal client makes, by method.
// A nil *Counter counts nothing and reports nil (unknown), which is
// what a bridge running elsewhere gets.
type Counter struct {
	mu    sync.Mutex
	calls Calls
	spent Durations
}

// New returns an empty counter.
func New() *Counter { return &Counter{calls: Calls{}, spent: Durations{}} }

// DialOption installs the counter on a Temporal client's connection
// (client.Options.ConnectionOptions.DialOptions): it sees each call the
// client's code makes once, before the SDK's own retry interceptors.
func (c *Counter) DialOption() grpc.DialOption { return grpc.WithChainUnaryInterceptor(c.intercept) }

func (c *Counter) intercept(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn,
	invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	name := path.Base(method)
	c.mu.Lock()
	c.calls[name]++
	c.mu.Unlock()
	start := time.Now()
	err := invoker(ctx, method, req, reply, cc, opts...)
	spent := time.Since(start)
	c.mu.Lock()
	c.spent[name] += spent
	c.mu.Unlock()
	return err
}

// Spent is the time the counted calls have taken so far, by method (nil
// for a nil counter): what the load tool subtracts from an event's round
// trip to see what the bridge itself adds.
func (c *Counter) Spent() Durations {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.spent)
}

// Durations are times by method.
type Durations map[string]time.Duration

// Since is the time spent between an earlier snapshot and d (nil when
// not measured).
func (d Durations) Since(earlier Durations) Durations { return since(d, earlier) }

// Total is the time over all methods.
func (d Durations) Total() time.Duration {
	var t time.Duration
	for _, v := range d {
		t += v
	}
	return t
}

// Snapshot is a copy of the counts so far.
func (c *Counter) Snapshot() Calls {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.calls)
}

// Calls are gRPC call counts by method name (e.g. "SignalWorkflowExecution").
// nil means not counted.
type Calls map[string]int64

// Since is the calls made after earlier was taken.
func (c Calls) Since(earlier Calls) Calls { return since(c, earlier) }

// since is now less earlier, by method, leaving out the methods that did
// not change; nil when now is nil (not measured).
func since[M ~map[string]V, V ~int64](now, earlier M) M {
	if now == nil {
		return nil
	}
	out := M{}
	for m, v := range now {
		if d := v - earlier[m]; d != 0 {
			out[m] = d
		}
	}
	return out
}

// Total is the number of calls of all methods.
func (c Calls) Total() int64 {
	var n int64
	for _, v := range c {
		n += v
	}
	return n
}

// PerItem is calls per event or webhook, formatted; "n/a" when not counted.
func (c Calls) PerItem(items int64) string {
	if c == nil || items == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f", float64(c.Total())/float64(items))
}

// String lists the methods by name: "ListWorkflowExecutions=3 SignalWorkflowExecution=6".
func (c Calls) String() string {
	if c == nil {
		return "not counted (the bridge runs elsewhere)"
	}
	names := make([]string, 0, len(c))
	for m := range c {
		names = append(names, m)
	}
	sort.Strings(names)
	parts := make([]string, 0, len(names))
	for _, m := range names {
		parts = append(parts, fmt.Sprintf("%s=%d", m, c[m]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, " ")
}
