package app

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/firmaflow/firmaflow/config"
	"github.com/firmaflow/firmaflow/internal/modules"
	"github.com/firmaflow/firmaflow/telemetry"
)

// Main runs a long-lived component (worker, bridge) the same way: config
// from the environment, slog, tracing, metrics, and a context that SIGINT/SIGTERM end
// for a graceful stop. It exits the process with a status.
func Main(component string, run func(context.Context, config.Config, *slog.Logger) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := modules.Load(ctx)
	if err != nil {
		slog.Error("configuration", "error", err)
		os.Exit(2)
	}
	log := cfg.Log.Logger().With("component", component)
	shutdown, err := telemetry.Setup(ctx, cfg.Telemetry, component)
	if err != nil {
		log.Error("telemetry", "error", err)
		os.Exit(1)
	}
	if _, err := telemetry.Metrics(); err != nil {
		log.Error("telemetry", "error", err)
		os.Exit(1)
	}
	err = run(ctx, cfg, log)
	shutdown(context.Background())
	if err != nil {
		log.Error(component+" failed", "error", err)
		os.Exit(1)
	}
}
