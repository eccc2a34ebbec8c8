// Command simulator runs a provider simulator on its own, for pointing a
// separately run worker and bridge at it (see docker-compose.yml).
//
//	go run ./cmd/simulator -provider arqsign -addr 127.0.0.1:8091 -webhook-url http://127.0.0.1:8080/webhooks/arqsign
//
// Secrets come from the same variables the worker and bridge read (the
// provider's section: ARQSIGN_APP_KEY, ARQSIGN_WEBHOOK_SECRET, ...); any
// provider of the module list (internal/modules) can be simulated.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	envconfig "github.com/sethvargo/go-envconfig"

	"github.com/firmaflow/firmaflow/internal/modules"
	"github.com/firmaflow/firmaflow/providers"
)

func main() {
	provider := flag.String("provider", "arqsign", "provider to simulate")
	addr := flag.String("addr", "127.0.0.1:8091", "listen address")
	webhookURL := flag.String("webhook-url", "http://127.0.0.1:8080/webhooks/arqsign", "where to post webhooks (providers told per process where to notify ignore it)")
	scenario := flag.String("scenario", "sign", "default scenario")
	step := flag.Duration("step", 500*time.Millisecond, "pause between scenario steps")
	flag.Parse()

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	sim, err := start(ctx, *provider, providers.SimOptions{
		WebhookURL: *webhookURL, DefaultScenario: *scenario, StepDelay: *step, Logger: log,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "simulator:", err)
		os.Exit(2)
	}
	defer sim.Close()
	srv := &http.Server{Addr: *addr, Handler: sim.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Shutdown(context.Background())
	}()
	log.Info("simulator listening", "provider", *provider, "addr", *addr, "webhooks", *webhookURL)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("simulator failed", "error", err)
		os.Exit(1)
	}
}

// start runs the named provider's simulator with the credentials of its
// section, read from the environment.
func start(ctx context.Context, name string, opts providers.SimOptions) (providers.RunningSimulator, error) {
	for _, m := range modules.All {
		if m.Name != name {
			continue
		}
		cfg, err := modules.LoadFrom(ctx, envconfig.OsLookuper(), []providers.Module{m})
		if err != nil {
			return nil, err
		}
		opts.Section = cfg.Providers[name].(providers.Section)
		return m.Simulator.Start(opts)
	}
	return nil, fmt.Errorf("unknown provider %q", name)
}
