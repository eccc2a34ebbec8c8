package webhookbridge

import (
	"context"
	"net"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/firmaflow/firmaflow/docstore"
	"github.com/firmaflow/firmaflow/providers/arqsign"
	"github.com/firmaflow/firmaflow/providers/autosign"
	"github.com/firmaflow/firmaflow/providers/cellosign"
	"github.com/firmaflow/firmaflow/providers/contractualis"
)

// edgeSecret is every provider's secret in the edge tests.
const edgeSecret = "the real secret"

// edgeBridge serves the four real providers' webhooks with opts' limits, a
// mem:// store, edgeSecret for every provider and a recording deliverer,
// unless opts has its own secrets or deliverer.
func edgeBridge(t testing.TB, opts Options) *Bridge {
	t.Helper()
	reg := realProviders(t)
	store, err := docstore.Open(context.Background(), "mem://")
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	opts.Providers, opts.Store = reg, store
	if opts.Secrets == nil {
		opts.Secrets = map[string]string{arqsign.Name: edgeSecret, contractualis.Name: edgeSecret, autosign.Name: edgeSecret, cellosign.Name: edgeSecret}
	}
	if opts.Deliverer == nil {
		opts.Deliverer = &recordingDeliverer{}
	}
	if opts.MaxBodyBytes == 0 {
		opts.MaxBodyBytes = 128 << 20
	}
	if opts.MaxSignedBodyBytes == 0 {
		opts.MaxSignedBodyBytes = 32 << 20
	}
	return New(opts)
}

// serveBridge serves b as deployed (its server and listener) on a loopback
// port until the test ends, and returns the address.
func serveBridge(t testing.TB, b *Bridge) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.ServeListener(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return ln.Addr().String()
}
