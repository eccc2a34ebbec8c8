// Command webhookbridge serves providers' webhooks (and, when
// FIRMAFLOW_API_TOKEN is set, the process API) and signals workflows.
package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/firmaflow/firmaflow/config"
	"github.com/firmaflow/firmaflow/internal/app"
	"github.com/firmaflow/firmaflow/telemetry"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := config.Load(ctx)
	if err != nil {
		slog.Error("configuration", "error", err)
		os.Exit(2)
	}
	log := cfg.Log.Logger().With("component", "bridge")
	shutdown, err := telemetry.Setup(ctx, cfg.Telemetry, "bridge")
	if err != nil {
		log.Error("telemetry", "error", err)
		os.Exit(1)
	}
	defer shutdown(context.Background())
	if err := app.RunBridge(ctx, cfg, log); err != nil {
		log.Error("bridge failed", "error", err)
		os.Exit(1)
	}
}
