package app

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/firmaflow/firmaflow/internal/modules"
)

// TestWorkerAndBridgeRefusePublishedSecrets: the processes a deployment runs
// stop at start-up, before dialing Temporal, when a secret is a published
// default or a webhook secret is missing.
func TestWorkerAndBridgeRefusePublishedSecrets(t *testing.T) {
	cfg, err := modules.LoadFrom(context.Background(), mapLookuper{
		"TEMPORAL_ADDRESS":             "127.0.0.1:1", // nothing listens: a dial would fail otherwise
		"FIRMAFLOW_DOCSTORE_URL":       "mem://",
		"FIRMAFLOW_API_TOKEN":          "change-me-api-token",
		"ARQSIGN_WEBHOOK_SECRET":       "change-me-arqsign-hmac-secret",
		"CONTRACTUALIS_WEBHOOK_SECRET": "change-me-contractualis-token",
		"AUTOSIGN_WEBHOOK_SECRET":      "change-me-autosign-token",
	}, modules.All)
	require.NoError(t, err)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	err = RunBridge(ctx, cfg, log)
	require.ErrorContains(t, err, "FIRMAFLOW_API_TOKEN is a published default")
	require.ErrorContains(t, err, "CELLOSIGN_WEBHOOK_SECRET is empty")

	err = RunWorker(ctx, cfg, log)
	require.ErrorContains(t, err, "AUTOSIGN_WEBHOOK_SECRET is a published default")
}
