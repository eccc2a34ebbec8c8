// Command worker runs the SigningProcess workflow and its activities.
// Configuration comes from the environment (see the README's settings).
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
	log := cfg.Log.Logger().With("component", "worker")
	shutdown, err := telemetry.Setup(ctx, cfg.Telemetry, "worker")
	if err != nil {
		log.Error("telemetry", "error", err)
		os.Exit(1)
	}
	defer shutdown(context.Background())
	if err := app.RunWorker(ctx, cfg, log); err != nil {
		log.Error("worker failed", "error", err)
		os.Exit(1)
	}
}
