package connect_test

import (
	"context"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/stats"

	"github.com/firmaflow/firmaflow/config"
	"github.com/firmaflow/firmaflow/connect"
	"github.com/firmaflow/firmaflow/internal/cpuclock"
	"github.com/firmaflow/firmaflow/signing"
)

// frontend answers the two calls the test makes: the SDK's capability
// check at dial time and a signal.
type frontend struct {
	workflowservice.UnimplementedWorkflowServiceServer
}

func (frontend) GetSystemInfo(context.Context, *workflowservice.GetSystemInfoRequest) (*workflowservice.GetSystemInfoResponse, error) {
	return &workflowservice.GetSystemInfoResponse{}, nil
}

func (frontend) SignalWorkflowExecution(context.Context, *workflowservice.SignalWorkflowExecutionRequest) (*workflowservice.SignalWorkflowExecutionResponse, error) {
	return &workflowservice.SignalWorkflowExecutionResponse{}, nil
}

// startFrontend serves frontend on a free port until the test ends and
// returns its address.
func startFrontend(tb testing.TB) string {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(tb, err)
	srv := grpc.NewServer()
	workflowservice.RegisterWorkflowServiceServer(srv, frontend{})
	go srv.Serve(lis)
	tb.Cleanup(srv.Stop)
	return lis.Addr().String()
}

// encodings records the compression of every request the client sent, by
// method, as gRPC put it in the request's headers.
type encodings struct {
	mu   sync.Mutex
	sent map[string]string
}

type methodKey struct{}

func (e *encodings) TagRPC(ctx context.Context, info *stats.RPCTagInfo) context.Context {
	return context.WithValue(ctx, methodKey{}, info.FullMethodName)
}

func (e *encodings) HandleRPC(ctx context.Context, s stats.RPCStats) {
	if h, ok := s.(*stats.OutHeader); ok && h.Client {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.sent[ctx.Value(methodKey{}).(string)] = h.Compression
	}
}

func (*encodings) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }
func (*encodings) HandleConn(context.Context, stats.ConnStats)                       {}

// The setting reaches the wire: requests go uncompressed by default and
// gzip-compressed when asked.
func TestGRPCCompressionOnTheWire(t *testing.T) {
	addr := startFrontend(t)

	const signal = "/temporal.api.workflowservice.v1.WorkflowService/SignalWorkflowExecution"
	for _, tc := range []struct {
		setting string // empty: the variable unset
		want    string
	}{
		{"", ""},
		{config.CompressionNone, ""},
		{config.CompressionGzip, "gzip"},
	} {
		t.Run("setting="+tc.setting, func(t *testing.T) {
			vars := env{"TEMPORAL_ADDRESS": addr, "TEMPORAL_CONFIG_FILE": t.TempDir() + "/absent.toml"}
			if tc.setting != "" {
				vars["FIRMAFLOW_TEMPORAL_GRPC_COMPRESSION"] = tc.setting
			}
			cfg, err := config.LoadFrom(context.Background(), vars)
			require.NoError(t, err)
			seen := &encodings{sent: map[string]string{}}
			c, err := connect.Temporal(context.Background(), cfg, slog.New(slog.DiscardHandler), grpc.WithStatsHandler(seen))
			require.NoError(t, err)
			defer c.Close()
			require.NoError(t, c.SignalWorkflow(context.Background(), "wf", "", "sig", "payload"))

			seen.mu.Lock()
			defer seen.mu.Unlock()
			got, ok := seen.sent[signal]
			require.True(t, ok, "the signal's request headers were not seen: %v", seen.sent)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestGRPCCompressionRefusesUnknownSettings(t *testing.T) {
	_, err := config.LoadFrom(context.Background(), env{"FIRMAFLOW_TEMPORAL_GRPC_COMPRESSION": "zstd"})
	require.ErrorContains(t, err, "FIRMAFLOW_TEMPORAL_GRPC_COMPRESSION")
	_, err = connect.Options(config.Temporal{GRPCCompression: "zstd"})
	require.Error(t, err)
}

// BenchmarkSignalCompression is one signal with a typical event's payload
// to an in-process frontend, with and without gzip. cpu-ns/op is this
// process's CPU per signal: the client's compression and, as a real
// server would pay it, the frontend's decompression and its compressed
// answer.
func BenchmarkSignalCompression(b *testing.B) {
	addr := startFrontend(b)
	// An Autosign signer's signature as the bridge signals it.
	payload := signing.Event{
		Key: "autosign:evt_01J9Z3K7Q4W8Y2V6T0R5N1M3P7", Provider: "autosign",
		ProviderRef: "tx_7f3c2a91-5b4e-4d8a-9c61-0e2f8b7d4a15", ProcessID: "contract-2026-11-0042",
		Type: signing.EventSignerSigned, OccurredAt: time.Date(2026, 11, 30, 10, 4, 5, 0, time.UTC),
		Signer: &signing.SignerRef{Name: "Ana María Pérez", Email: "ana.perez@example.com"},
	}

	for _, setting := range []string{config.CompressionNone, config.CompressionGzip} {
		b.Run(setting, func(b *testing.B) {
			cfg, err := config.LoadFrom(context.Background(), env{"TEMPORAL_ADDRESS": addr,
				"TEMPORAL_CONFIG_FILE": b.TempDir() + "/absent.toml", "FIRMAFLOW_TEMPORAL_GRPC_COMPRESSION": setting})
			require.NoError(b, err)
			c, err := connect.Temporal(context.Background(), cfg, slog.New(slog.DiscardHandler))
			require.NoError(b, err)
			defer c.Close()
			ctx := context.Background()
			require.NoError(b, c.SignalWorkflow(ctx, "wf", "", "event", payload))
			b.ReportAllocs()
			cpu := processCPU(b)
			for b.Loop() {
				if err := c.SignalWorkflow(ctx, "wf", "", "event", payload); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(processCPU(b)-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

func processCPU(b *testing.B) time.Duration {
	cpu, err := cpuclock.Process()
	require.NoError(b, err)
	return cpu
}
