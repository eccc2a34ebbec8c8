package connect_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/firmaflow/firmaflow/config"
	"github.com/firmaflow/firmaflow/connect"
	"github.com/firmaflow/firmaflow/internal/authserver"
	"github.com/firmaflow/firmaflow/internal/devserver"
)

// The real server binds ports from this range (membership ports must be
// at most 32767, above Linux's ephemeral range).
const firstPort, lastPort = 22000, 22999

// startServer starts the real server, skipping under -short (it builds the
// pinned binary on first use). The server's environment must not carry
// the client's TEMPORAL_* settings: set them after.
func startServer(t *testing.T, opts authserver.Options) *authserver.Server {
	t.Helper()
	if testing.Short() {
		t.Skip("starts the real Temporal server")
	}
	t.Setenv("TEMPORAL_VERSION_CHECK_DISABLED", "1")
	opts.Dir, opts.FirstPort, opts.LastPort = t.TempDir(), firstPort, lastPort
	// The first build (minutes on a busy machine) is not part of the
	// server's time to start.
	_, err := devserver.ServerBinary(context.Background(), slog.Default())
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	srv, err := authserver.Start(ctx, slog.Default(), opts)
	if err != nil {
		logs, _ := os.ReadFile(filepath.Join(opts.Dir, "server.log"))
		t.Fatalf("start the real server: %v\nserver log:\n%s", err, logs)
	}
	t.Cleanup(func() {
		srv.Stop()
		if t.Failed() {
			if logs, err := os.ReadFile(srv.LogFile); err == nil {
				t.Logf("server log:\n%s", logs)
			}
		}
	})
	return srv
}

// clientEnv sets only Temporal's own variables, as an operator would, and
// clears every other TEMPORAL_* connection variable of the test's process.
func clientEnv(t *testing.T, env map[string]string) {
	t.Helper()
	for _, k := range []string{"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_API_KEY", "TEMPORAL_PROFILE",
		"TEMPORAL_CONFIG_FILE", "TEMPORAL_TLS", "TEMPORAL_TLS_CLIENT_CERT_PATH", "TEMPORAL_TLS_CLIENT_KEY_PATH",
		"TEMPORAL_TLS_CLIENT_CERT_DATA", "TEMPORAL_TLS_CLIENT_KEY_DATA", "TEMPORAL_TLS_SERVER_CA_CERT_PATH",
		"TEMPORAL_TLS_SERVER_CA_CERT_DATA", "TEMPORAL_TLS_SERVER_NAME", "TEMPORAL_TLS_DISABLE_HOST_VERIFICATION"} {
		t.Setenv(k, "") // restored after the test
		os.Unsetenv(k)
	}
	if _, ok := env["TEMPORAL_CONFIG_FILE"]; !ok {
		t.Setenv("TEMPORAL_CONFIG_FILE", filepath.Join(t.TempDir(), "none.toml"))
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
}

// dial connects exactly as firmaflow's binaries do: configuration from the
// process environment, then connect.Temporal.
func dial(ctx context.Context) (client.Client, config.Config, error) {
	cfg, err := config.Load(ctx)
	if err != nil {
		return nil, cfg, err
	}
	c, err := connect.Temporal(ctx, cfg, slog.Default())
	return c, cfg, err
}

// useNamespace dials and makes a namespace call (GetSystemInfo, all a dial
// does, needs no authorization).
func useNamespace(t *testing.T) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, cfg, err := dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: cfg.Temporal.Namespace})
	return err
}

// runWorkflow dials, runs a worker and executes a workflow through it: the
// work every firmaflow process does over the connection.
func runWorkflow(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, cfg, err := dial(ctx)
	require.NoError(t, err)
	defer c.Close()
	w := worker.New(c, t.Name(), worker.Options{})
	w.RegisterWorkflowWithOptions(greet, workflow.RegisterOptions{Name: "greet"})
	require.NoError(t, w.Start())
	defer w.Stop()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: t.Name()}, "greet", cfg.Temporal.Namespace)
	require.NoError(t, err)
	var got string
	require.NoError(t, run.Get(ctx, &got))
	require.Equal(t, "hello from "+cfg.Temporal.Namespace, got)
}

func greet(_ workflow.Context, namespace string) (string, error) {
	return "hello from " + namespace, nil
}

// requireRefused: the connection was turned down, as the error's type
// (its gRPC code) says, not its text.
func requireRefused[E error](t *testing.T, err error, what string) {
	t.Helper()
	require.Error(t, err, what)
	var want E
	require.True(t, errors.As(err, &want), "%s: got %T: %v", what, errors.Unwrap(err), err)
}
