package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/firmaflow/firmaflow/telemetry"
)

// metricsOff is the FIRMAFLOW_WORKER_METRICS_ADDR that serves no page.
const metricsOff = "none"

// ServeMetrics serves the process's Prometheus page at GET /metrics on
// addr until the returned stop is called. A taken address is an error at
// start, not a worker that runs unobserved.
func ServeMetrics(addr string, log *slog.Logger) (stop func(), err error) {
	if addr == "" || addr == metricsOff {
		return func() {}, nil
	}
	page, err := telemetry.Metrics()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: listen on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", page)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: time.Minute}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server stopped", "error", err)
		}
	}()
	log.Info("metrics served", "addr", ln.Addr().String(), "path", "/metrics")
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}, nil
}
