// Command simulator runs a provider simulator on its own, for pointing a
// separately run worker and bridge at it (see docker-compose.yml).
//
//	go run ./cmd/simulator -provider arqsign -addr 127.0.0.1:8091 -webhook-url http://127.0.0.1:8080/webhooks/arqsign
//
// Secrets come from the same variables the worker and bridge read
// (ARQSIGN_APP_KEY, ARQSIGN_SUBSCRIPTION_KEY, ARQSIGN_WEBHOOK_SECRET;
// CONTRACTUALIS_API_KEY, CONTRACTUALIS_EMAIL, CONTRACTUALIS_PASSWORD,
// CONTRACTUALIS_WEBHOOK_SECRET).
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

	"github.com/firmaflow/firmaflow/simulators/arqsignsim"
	"github.com/firmaflow/firmaflow/simulators/autosignsim"
	"github.com/firmaflow/firmaflow/simulators/cellosignsim"
	"github.com/firmaflow/firmaflow/simulators/contractualissim"
)

func main() {
	provider := flag.String("provider", "arqsign", "provider to simulate")
	addr := flag.String("addr", "127.0.0.1:8091", "listen address")
	webhookURL := flag.String("webhook-url", "http://127.0.0.1:8080/webhooks/arqsign", "where to post webhooks")
	scenario := flag.String("scenario", arqsignsim.ScenarioSign, "default scenario")
	step := flag.Duration("step", 500*time.Millisecond, "pause between scenario steps")
	flag.Parse()

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	var handler http.Handler
	switch *provider {
	case "arqsign":
		sim := arqsignsim.New(arqsignsim.Options{
			AppKey: os.Getenv("ARQSIGN_APP_KEY"), SubscriptionKey: os.Getenv("ARQSIGN_SUBSCRIPTION_KEY"),
			WebhookURL: *webhookURL, WebhookSecret: os.Getenv("ARQSIGN_WEBHOOK_SECRET"),
			DefaultScenario: *scenario, StepDelay: *step, Logger: log,
		})
		defer sim.Close()
		handler = sim.Handler()
	case "contractualis":
		sim := contractualissim.New(contractualissim.Options{
			APIKey: os.Getenv("CONTRACTUALIS_API_KEY"), Email: os.Getenv("CONTRACTUALIS_EMAIL"), Password: os.Getenv("CONTRACTUALIS_PASSWORD"),
			WebhookURL: *webhookURL, WebhookSecret: os.Getenv("CONTRACTUALIS_WEBHOOK_SECRET"),
			DefaultScenario: *scenario, StepDelay: *step, Logger: log,
		})
		defer sim.Close()
		handler = sim.Handler()
	case "autosign":
		// Autosign posts each transaction's events to its notification_endpoint,
		// which the worker sets; -webhook-url is not used.
		sim := autosignsim.New(autosignsim.Options{
			ClientID: os.Getenv("AUTOSIGN_CLIENT_ID"), ClientSecret: os.Getenv("AUTOSIGN_CLIENT_SECRET"),
			RefreshToken: os.Getenv("AUTOSIGN_REFRESH_TOKEN"), DefaultScenario: *scenario, StepDelay: *step, Logger: log,
		})
		defer sim.Close()
		handler = sim.Handler()
	case "cellosign":
		sim := cellosignsim.New(cellosignsim.Options{
			Token: os.Getenv("CELLOSIGN_TOKEN"), Project: os.Getenv("CELLOSIGN_PROJECT"),
			WebhookURL: *webhookURL, WebhookSecret: os.Getenv("CELLOSIGN_WEBHOOK_SECRET"),
			DefaultScenario: *scenario, StepDelay: *step, Logger: log,
		})
		defer sim.Close()
		handler = sim.Handler()
	default:
		fmt.Fprintf(os.Stderr, "unknown provider %q\n", *provider)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv := &http.Server{Addr: *addr, Handler: handler, ReadHeaderTimeout: 10 * time.Second}
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
