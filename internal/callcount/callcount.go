// Package callcount counts the Temporal calls a client makes, by method:
// how tests prove that the event path makes no visibility query and costs
// one call per webhook, and what the load tool reports.
package callcount

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"

	"google.golang.org/grpc"
)

// Counter counts the gRPC calls one Temporal client makes, by method.
// A nil *Counter counts nothing and reports nil (unknown), which is
// what a bridge running elsewhere gets.
type Counter struct {
	mu    sync.Mutex
	calls Calls
}

// New returns an empty counter.
func New() *Counter { return &Counter{calls: Calls{}} }

// DialOption installs the counter on a Temporal client's connection
// (client.Options.ConnectionOptions.DialOptions): it sees each call the
// client's code makes once, before the SDK's own retry interceptors.
func (c *Counter) DialOption() grpc.DialOption { return grpc.WithChainUnaryInterceptor(c.intercept) }

func (c *Counter) intercept(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn,
	invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	c.mu.Lock()
	c.calls[path.Base(method)]++
	c.mu.Unlock()
	return invoker(ctx, method, req, reply, cc, opts...)
}

// Snapshot is a copy of the counts so far.
func (c *Counter) Snapshot() Calls {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(Calls, len(c.calls))
	for m, n := range c.calls {
		out[m] = n
	}
	return out
}

// Calls are gRPC call counts by method name (e.g. "SignalWorkflowExecution").
// nil means not counted.
type Calls map[string]int64

// Since is the calls made after earlier was taken.
func (c Calls) Since(earlier Calls) Calls {
	if c == nil {
		return nil
	}
	out := Calls{}
	for m, n := range c {
		if d := n - earlier[m]; d != 0 {
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
