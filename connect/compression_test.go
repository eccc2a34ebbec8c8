package connect_test

import (
	"context"
	"log/slog"
	"net"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/stats"

	"github.com/firmaflow/firmaflow/config"
	"github.com/firmaflow/firmaflow/connect"
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
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := grpc.NewServer()
	workflowservice.RegisterWorkflowServiceServer(srv, frontend{})
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)

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
			vars := env{"TEMPORAL_ADDRESS": lis.Addr().String(), "TEMPORAL_CONFIG_FILE": t.TempDir() + "/absent.toml"}
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
