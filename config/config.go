// Package config reads firmaflow's settings from the environment with
// go-envconfig. Every setting has a documented default (see the README's
// settings table, which internal/modules's test keeps in step with this file
// and the providers' sections), so a newcomer can run the dev stack with no
// configuration at all. Providers' sections are declared by their modules
// (Section); this package names no provider.
package config

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	envconfig "github.com/sethvargo/go-envconfig"
)

// Config is the whole configuration of every firmaflow process.
type Config struct {
	Temporal  Temporal
	Store     Store
	Downloads Downloads
	Callbacks Callbacks
	Secrets   Secrets
	Bridge    Bridge
	Worker    Worker
	Telemetry Telemetry
	Log       Log
	// Providers are the providers' sections by provider name, each
	// declared by the provider's module and filled by LoadProviders.
	Providers map[string]Section
}

// Store is where documents live.
type Store struct {
	// URL of the document store: a directory, file:///dir, s3://bucket?region=..., or mem://.
	URL string `env:"FIRMAFLOW_DOCSTORE_URL, default=./data/documents"`
}

// Downloads governs fetching result documents from providers.
type Downloads struct {
	// AllowPrivate permits document links on loopback or private addresses:
	// only for the simulators (the dev stack sets it).
	AllowPrivate bool `env:"FIRMAFLOW_ALLOW_PRIVATE_DOWNLOADS, default=false"`
}

// Callbacks configures the notifications sent to the systems that start
// processes (input callback_url), signed Standard Webhooks style.
type Callbacks struct {
	// Secret signs them: "whsec_" and Base64 of at least 16 bytes.
	Secret string `env:"FIRMAFLOW_CALLBACK_SECRET"`
	// Hosts are the hosts callbacks may go to: host:port, or host alone
	// for the scheme's default port (443) only.
	Hosts []string `env:"FIRMAFLOW_CALLBACK_HOSTS"`
	// AllowHTTP permits plain http callback URLs: only for the dev stack
	// (it sets it); a callback carries the process's result.
	AllowHTTP bool `env:"FIRMAFLOW_ALLOW_HTTP_CALLBACKS, default=false"`
}

// Secrets governs which secrets the worker and the bridge accept (see
// CheckSecrets).
type Secrets struct {
	// AllowDev accepts the simulators' published secrets and missing
	// webhook secrets: only for docker-compose.dev.yml and the dev stack.
	AllowDev bool `env:"FIRMAFLOW_ALLOW_DEV_SECRETS, default=false"`
}

// Bridge is the webhook bridge's HTTP server.
type Bridge struct {
	Addr string `env:"FIRMAFLOW_BRIDGE_ADDR, default=:8080"`
	// PublicURL is how providers reach the bridge (used to build webhook URLs).
	PublicURL string `env:"FIRMAFLOW_BRIDGE_PUBLIC_URL, default=http://localhost:8080"`
	// MaxBodyBytes caps a webhook body; larger bodies get 413.
	MaxBodyBytes int64 `env:"FIRMAFLOW_BRIDGE_MAX_BODY_BYTES, default=134217728"`
	// MaxSignedBodyBytes caps bodies that must be read whole before they
	// can be verified (HMAC-signed webhooks).
	MaxSignedBodyBytes int64 `env:"FIRMAFLOW_BRIDGE_MAX_SIGNED_BODY_BYTES, default=33554432"`
	// MaxBufferedBytes bounds the signed bodies held in memory at once
	// before they are verified; a body that does not fit gets 503.
	MaxBufferedBytes int64 `env:"FIRMAFLOW_BRIDGE_MAX_BUFFERED_BYTES, default=67108864"`
	// The server's limits on slow clients (webhookbridge.ServerLimits).
	ReadHeaderTimeout time.Duration `env:"FIRMAFLOW_BRIDGE_READ_HEADER_TIMEOUT, default=10s"`
	ReadTimeout       time.Duration `env:"FIRMAFLOW_BRIDGE_READ_TIMEOUT, default=10m"`
	BodyGrace         time.Duration `env:"FIRMAFLOW_BRIDGE_BODY_GRACE, default=10s"`
	MinBodyRate       int64         `env:"FIRMAFLOW_BRIDGE_MIN_BODY_RATE, default=262144"`
	WriteTimeout      time.Duration `env:"FIRMAFLOW_BRIDGE_WRITE_TIMEOUT, default=1m"`
	IdleTimeout       time.Duration `env:"FIRMAFLOW_BRIDGE_IDLE_TIMEOUT, default=1m"`
	MaxConns          int           `env:"FIRMAFLOW_BRIDGE_MAX_CONNS, default=256"`
	// ClaimWindow is how long an event whose signing process is not found
	// yet is looked after quickly (in an EventInbox workflow) before it is
	// marked unclaimed for operators.
	ClaimWindow time.Duration `env:"FIRMAFLOW_INBOX_CLAIM_WINDOW, default=24h"`
	// APIToken protects the HTTP API (/api/v1); empty disables the API.
	APIToken string `env:"FIRMAFLOW_API_TOKEN"`
	// APIMaxUploadBytes caps one document uploaded through the API; larger gets 413.
	APIMaxUploadBytes int64 `env:"FIRMAFLOW_API_MAX_UPLOAD_BYTES, default=67108864"`
}

// maxWorkflowTaskPollers is the SDK's own ceiling for autoscaling pollers.
const maxWorkflowTaskPollers = 100

// Worker is a worker's own settings.
type Worker struct {
	// MetricsAddr serves the worker's Prometheus page (GET /metrics);
	// "none" serves none. The bridge serves its page on its own address.
	MetricsAddr string `env:"FIRMAFLOW_WORKER_METRICS_ADDR, default=:9464"`
	// WorkflowCacheSize is how many workflow executions the worker keeps
	// in memory between their tasks (the SDK's sticky cache, shared by the
	// process's workers; 10,000 is the SDK's default). An evicted process
	// is replayed from its history at its next task.
	WorkflowCacheSize int `env:"FIRMAFLOW_WORKFLOW_CACHE_SIZE, default=10000"`
	// WorkflowTaskPollers is the most workflow-task polls the worker keeps
	// open on each of its two queues, the task queue and its own sticky
	// queue. On the 2-core dev machine each poller added cost throughput,
	// most likely because fewer polls let signals that arrive together
	// share one workflow task (docs/benchmarks.md, "Workflow-task pollers").
	WorkflowTaskPollers int `env:"FIRMAFLOW_WORKFLOW_TASK_POLLERS, default=1"`
}

// Telemetry configures OpenTelemetry tracing.
type Telemetry struct {
	// TracesExporter is none, stdout or otlp (OTLP/HTTP; the endpoint comes from
	// the standard OTEL_EXPORTER_OTLP_ENDPOINT).
	TracesExporter string `env:"OTEL_TRACES_EXPORTER, default=none"`
	ServiceName    string `env:"OTEL_SERVICE_NAME, default=firmaflow"`
}

// Tracing reports whether spans are exported.
func (t Telemetry) Tracing() bool { return t.TracesExporter != "" && t.TracesExporter != "none" }

// Log configures log/slog.
type Log struct {
	Level  string `env:"FIRMAFLOW_LOG_LEVEL, default=info"`
	Format string `env:"FIRMAFLOW_LOG_FORMAT, default=text"`
}

// Load reads the configuration from the process environment.
func Load(ctx context.Context) (Config, error) {
	return LoadFrom(ctx, OSLookuper())
}

// LoadFrom reads the configuration from a lookuper (tests use a map).
func LoadFrom(ctx context.Context, l envconfig.Lookuper) (Config, error) {
	var c Config
	if err := envconfig.ProcessWith(ctx, &envconfig.Config{Target: &c, Lookuper: l}); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	switch c.Telemetry.TracesExporter {
	case "none", "stdout", "otlp":
	default:
		return Config{}, fmt.Errorf("config: OTEL_TRACES_EXPORTER=%q: want none, stdout or otlp", c.Telemetry.TracesExporter)
	}
	if _, err := parseLevel(c.Log.Level); err != nil {
		return Config{}, err
	}
	if err := c.Temporal.resolve(l); err != nil {
		return Config{}, err
	}
	if c.Worker.WorkflowCacheSize < 1 {
		return Config{}, fmt.Errorf("config: FIRMAFLOW_WORKFLOW_CACHE_SIZE=%d: want at least 1", c.Worker.WorkflowCacheSize)
	}
	if c.Worker.WorkflowTaskPollers < 1 || c.Worker.WorkflowTaskPollers > maxWorkflowTaskPollers {
		return Config{}, fmt.Errorf("config: FIRMAFLOW_WORKFLOW_TASK_POLLERS=%d: want 1 to %d", c.Worker.WorkflowTaskPollers, maxWorkflowTaskPollers)
	}
	return c, nil
}

// Logger builds the process's slog logger.
func (l Log) Logger() *slog.Logger {
	level, _ := parseLevel(l.Level)
	opts := &slog.HandlerOptions{Level: level}
	if strings.EqualFold(l.Format, "json") {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}

func parseLevel(s string) (slog.Level, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("config: FIRMAFLOW_LOG_LEVEL=%q: %w", s, err)
	}
	return level, nil
}
