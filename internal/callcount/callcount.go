// Package callcount counts the Temporal calls a client makes, by method:
// how the tests prove that the event path makes no visibility query and
// costs one call per webhook, and what the load tool reports.
package callcount

import (
	"context"
	"path"
	"sync"

	"google.golang.org/grpc"
)

// Counter counts gRPC calls by method name ("SignalWorkflowExecution").
type Counter struct {
	mu    sync.Mutex
	calls map[string]int64
}

// New returns an empty counter.
func New() *Counter { return &Counter{calls: map[string]int64{}} }

// DialOption installs the counter on a Temporal client's connection
// (client.Options.ConnectionOptions.DialOptions).
func (c *Counter) DialOption() grpc.DialOption {
	return grpc.WithChainUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		c.mu.Lock()
		c.calls[path.Base(method)]++
		c.mu.Unlock()
		return invoker(ctx, method, req, reply, cc, opts...)
	})
}

// Snapshot returns the counts so far.
func (c *Counter) Snapshot() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int64, len(c.calls))
	for k, v := range c.calls {
		out[k] = v
	}
	return out
}

// Total is the number of calls so far, all methods.
func (c *Counter) Total() int64 {
	var n int64
	for _, v := range c.Snapshot() {
		n += v
	}
	return n
}
