package e2e

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/firmaflow/firmaflow/internal/app"
	"github.com/firmaflow/firmaflow/internal/promtest"
	"github.com/firmaflow/firmaflow/providers/arqsign"
	"github.com/firmaflow/firmaflow/signing"
)

// TestMetricsPage: after a whole process, the bridge's GET /metrics carries
// the in-process worker's series too: the Temporal SDK's, firmaflow's
// processes, events and provider calls, and the bridge's own requests,
// each labelled and above zero.
func TestMetricsPage(t *testing.T) {
	_, wait := startProcess(t, "sign", fastPolicy)
	res := wait()
	require.Equal(t, signing.StatusCompleted, res.Status, res.Reason)

	page := promtest.Scrape(t, stack.BridgeURL+"/metrics")
	arq := map[string]string{"provider": arqsign.Name}
	page.Positive(t, "temporal_request_total", map[string]string{"namespace": stack.Config.Temporal.Namespace})
	page.Positive(t, "temporal_workflow_completed_total", map[string]string{"workflow_type": signing.WorkflowType})
	page.Positive(t, "temporal_activity_execution_latency_seconds", map[string]string{"activity_type": "FetchDocuments"})
	page.Positive(t, "firmaflow_processes_started_total", arq)
	page.Positive(t, "firmaflow_processes_ended_total", map[string]string{"provider": arqsign.Name, "status": "completed"})
	page.Positive(t, "firmaflow_events_total", map[string]string{"provider": arqsign.Name, "type": "completed", "outcome": "applied"})
	page.Positive(t, "firmaflow_provider_calls_total", map[string]string{"provider": arqsign.Name, "outcome": "ok"})
	page.Positive(t, "firmaflow_provider_call_duration_seconds", map[string]string{"provider": arqsign.Name, "outcome": "ok"})
	page.Positive(t, "firmaflow_http_requests_total", map[string]string{
		"provider": arqsign.Name, "route": "/webhooks/:provider/*", "method": http.MethodPost, "status": "200"})
	page.Positive(t, "firmaflow_http_request_duration_seconds", map[string]string{"provider": arqsign.Name, "status": "200"})
}

// TestStandaloneWorkerServesMetrics: a worker run as its own process
// (app.RunWorker) serves its page on FIRMAFLOW_WORKER_METRICS_ADDR.
func TestStandaloneWorkerServesMetrics(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	cfg := stack.Config
	cfg.Worker.MetricsAddr = addr
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- app.RunWorker(ctx, cfg, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	}()
	defer func() {
		cancel()
		require.NoError(t, <-done)
	}()
	var page promtest.Page
	require.Eventually(t, func() bool {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return false
		}
		page = promtest.Parse(t, resp.Body)
		return true
	}, 30*time.Second, 100*time.Millisecond, "the worker serves no page on %s", addr)
	page.Positive(t, "temporal_request_total", map[string]string{"namespace": cfg.Temporal.Namespace})
}
