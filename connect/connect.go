// Package connect dials Temporal the way every firmaflow process does
// (tracing, metrics, slog logging). It is client-side: the starter, the bridge's
// wiring and tools use it without linking the worker's code.
package connect

import (
	"context"
	"fmt"
	"log/slog"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"google.golang.org/grpc"

	"github.com/firmaflow/firmaflow/config"
	"github.com/firmaflow/firmaflow/telemetry"
)

// Temporal connects to the Temporal frontend cfg names. dialOptions go to
// the gRPC connection (tests and the load tool count a client's calls).
func Temporal(ctx context.Context, cfg config.Config, log *slog.Logger, dialOptions ...grpc.DialOption) (client.Client, error) {
	interceptors, err := telemetry.TemporalInterceptors()
	if err != nil {
		return nil, err
	}
	c, err := client.DialContext(ctx, client.Options{
		HostPort:          cfg.Temporal.Address,
		Namespace:         cfg.Temporal.Namespace,
		Logger:            sdklog.NewStructuredLogger(log),
		Interceptors:      interceptors,
		MetricsHandler:    telemetry.TemporalMetricsHandler(),
		ConnectionOptions: client.ConnectionOptions{DialOptions: dialOptions},
	})
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s: %w", cfg.Temporal.Address, err)
	}
	return c, nil
}
