// Package connect dials Temporal the way every firmaflow process does
// (tracing, metrics, slog logging). It is client-side: the starter, the bridge's
// wiring and tools use it without linking the worker's code.
package connect

import (
	"context"
	"fmt"
	"log/slog"

	"go.temporal.io/sdk/client"
	temporalenv "go.temporal.io/sdk/contrib/envconfig"
	sdklog "go.temporal.io/sdk/log"
	"google.golang.org/grpc"

	"github.com/firmaflow/firmaflow/config"
	"github.com/firmaflow/firmaflow/telemetry"
)

// Temporal connects to the Temporal frontend cfg names, with the TLS, mTLS
// and API key of Temporal's environment configuration (config.Temporal).
// dialOptions go to the gRPC connection (tests and the load tool count a
// client's calls).
func Temporal(ctx context.Context, cfg config.Config, log *slog.Logger, dialOptions ...grpc.DialOption) (client.Client, error) {
	opts, err := Options(cfg.Temporal)
	if err != nil {
		return nil, err
	}
	interceptors, err := telemetry.TemporalInterceptors()
	if err != nil {
		return nil, err
	}
	opts.Logger = sdklog.NewStructuredLogger(log)
	opts.Interceptors = append(opts.Interceptors, interceptors...)
	opts.MetricsHandler = telemetry.TemporalMetricsHandler()
	opts.ConnectionOptions.DialOptions = append(opts.ConnectionOptions.DialOptions, dialOptions...)
	// What is used, never the key or the certificates.
	log.Debug("connecting to Temporal", "address", opts.HostPort, "namespace", opts.Namespace,
		"tls", opts.ConnectionOptions.TLS != nil, "client_cert", opts.ConnectionOptions.TLS != nil && len(opts.ConnectionOptions.TLS.Certificates) > 0,
		"api_key", opts.Credentials != nil)
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s (namespace %s): %w", opts.HostPort, opts.Namespace, err)
	}
	return c, nil
}

// Options are the client options of t's connection, before firmaflow adds
// its logger, interceptors and metrics: address and namespace, TLS (client
// certificate and key, server CA, server name, host verification), API key,
// gRPC headers and authority, and request compression. A remote codec is
// never used: the worker would call it on every replay.
func Options(t config.Temporal) (client.Options, error) {
	profile := t.Connection()
	opts, err := profile.ToClientOptions(temporalenv.ToClientOptionsRequest{})
	if err != nil {
		return client.Options{}, fmt.Errorf("connect: Temporal connection settings for %s: %w", profile.Address, err)
	}
	switch t.GRPCCompression {
	case config.CompressionGzip:
		opts.ConnectionOptions.GrpcCompression = &client.GrpcCompressionGzip{}
	case config.CompressionNone, "":
		// A Config built in code (tests, the dev stack) means the default.
		opts.ConnectionOptions.GrpcCompression = &client.GrpcCompressionNone{}
	default:
		return client.Options{}, fmt.Errorf("connect: unknown gRPC compression %q (want none or gzip)", t.GRPCCompression)
	}
	return opts, nil
}
