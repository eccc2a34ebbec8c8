// Package config reads firmaflow's settings from the environment with
// go-envconfig. Every setting has a documented default (see the README's
// settings table, which a test keeps in step with this file), so a newcomer
// can run the dev stack with no configuration at all.
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
	Temporal      Temporal
	Store         Store
	Downloads     Downloads
	Callbacks     Callbacks
	Secrets       Secrets
	Bridge        Bridge
	ArqSIGN       ArqSIGN
	Contractualis Contractualis
	Autosign      Autosign
	CelloSign     CelloSign
	Telemetry     Telemetry
	Log           Log
}

// Temporal is where workflows run.
type Temporal struct {
	Address   string `env:"TEMPORAL_ADDRESS, default=localhost:7233"`
	Namespace string `env:"TEMPORAL_NAMESPACE, default=default"`
	TaskQueue string `env:"FIRMAFLOW_TASK_QUEUE, default=firmaflow"`
	// UIURL is used to print links to runs.
	UIURL string `env:"FIRMAFLOW_TEMPORAL_UI_URL, default=http://localhost:8233"`
	// RegisterSearchAttributes makes the worker add missing search attributes at start-up.
	RegisterSearchAttributes bool `env:"FIRMAFLOW_REGISTER_SEARCH_ATTRIBUTES, default=true"`
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
	// can be verified (HMAC-signed webhooks: ArqSIGN).
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

// ArqSIGN configures the ArqSIGN provider.
type ArqSIGN struct {
	// Enabled registers the provider; the dev stack points it at the simulator.
	Enabled bool   `env:"ARQSIGN_ENABLED, default=true"`
	BaseURL string `env:"ARQSIGN_BASE_URL, default=https://api-rest.arqsign.com"`
	// AppKey and SubscriptionKey authenticate API calls (headers of the same names).
	AppKey          string `env:"ARQSIGN_APP_KEY"`
	SubscriptionKey string `env:"ARQSIGN_SUBSCRIPTION_KEY"`
	// ResponsibleID is the ArqSIGN user that sends processes (idResponsavel).
	ResponsibleID string `env:"ARQSIGN_RESPONSIBLE_ID"`
	// FolderID is the ArqSIGN folder processes are filed in (idPasta).
	FolderID string `env:"ARQSIGN_FOLDER_ID"`
	// WebhookSecret is the webhooks' "chave secreta HMAC": each webhook's
	// HMAC header must be the SHA-256 HMAC of its body with this key.
	WebhookSecret string `env:"ARQSIGN_WEBHOOK_SECRET"`
	// DownloadHosts limits where result documents may be downloaded from
	// (comma-separated host names; empty means the API's host only).
	DownloadHosts []string `env:"ARQSIGN_DOWNLOAD_HOSTS"`
}

// Contractualis configures the Contractualis provider.
type Contractualis struct {
	Enabled bool   `env:"CONTRACTUALIS_ENABLED, default=true"`
	BaseURL string `env:"CONTRACTUALIS_BASE_URL, default=https://contractualis.com/app/dev/v1"`
	// APIKey is the x-api-key; Email and Password log in for the JWT.
	APIKey   string `env:"CONTRACTUALIS_API_KEY"`
	Email    string `env:"CONTRACTUALIS_EMAIL"`
	Password string `env:"CONTRACTUALIS_PASSWORD"`
	// WebhookSecret is the token the registered webhook URL carries
	// (…/webhooks/contractualis?token=SECRET).
	WebhookSecret string   `env:"CONTRACTUALIS_WEBHOOK_SECRET"`
	DownloadHosts []string `env:"CONTRACTUALIS_DOWNLOAD_HOSTS"`
}

// Autosign configures the Autosign provider.
type Autosign struct {
	Enabled bool `env:"AUTOSIGN_ENABLED, default=true"`
	// BaseURL is firmaflow's assumption: Autosign's document gives no host.
	BaseURL string `env:"AUTOSIGN_BASE_URL, default=https://api.autosign.io"`
	// ClientID, ClientSecret and RefreshToken are the OAuth application's
	// (the refresh token comes from exchanging an authorization code once).
	ClientID     string `env:"AUTOSIGN_CLIENT_ID"`
	ClientSecret string `env:"AUTOSIGN_CLIENT_SECRET"`
	RefreshToken string `env:"AUTOSIGN_REFRESH_TOKEN"`
	// SenderName and SenderEmail are the transactions' sender recipient.
	SenderName  string `env:"AUTOSIGN_SENDER_NAME, default=firmaflow"`
	SenderEmail string `env:"AUTOSIGN_SENDER_EMAIL"`
	// WebhookSecret is the token every transaction's notification_endpoint carries.
	WebhookSecret string   `env:"AUTOSIGN_WEBHOOK_SECRET"`
	DownloadHosts []string `env:"AUTOSIGN_DOWNLOAD_HOSTS"`
}

// CelloSign configures the CelloSign provider.
type CelloSign struct {
	Enabled bool   `env:"CELLOSIGN_ENABLED, default=true"`
	BaseURL string `env:"CELLOSIGN_BASE_URL, default=https://app.cellosign.com/api/v3"`
	// Token and Project authenticate ("Authorization: Token …" and the projectName).
	Token   string `env:"CELLOSIGN_TOKEN"`
	Project string `env:"CELLOSIGN_PROJECT"`
	// WebhookSecret is the token the archive webhook presents
	// (X-Firmaflow-Token header or ?token= in its URL).
	WebhookSecret string   `env:"CELLOSIGN_WEBHOOK_SECRET"`
	DownloadHosts []string `env:"CELLOSIGN_DOWNLOAD_HOSTS"`
	// ArchiveOnlyStart makes archives of processes firmaflow did not send
	// start an archive-only SigningProcess, so they land durably too.
	ArchiveOnlyStart bool `env:"CELLOSIGN_ARCHIVE_ONLY_START, default=false"`
}

// Telemetry configures OpenTelemetry tracing.
type Telemetry struct {
	// TracesExporter is none, stdout or otlp (OTLP/HTTP; the endpoint comes from
	// the standard OTEL_EXPORTER_OTLP_ENDPOINT).
	TracesExporter string `env:"OTEL_TRACES_EXPORTER, default=none"`
	ServiceName    string `env:"OTEL_SERVICE_NAME, default=firmaflow"`
}

// Log configures log/slog.
type Log struct {
	Level  string `env:"FIRMAFLOW_LOG_LEVEL, default=info"`
	Format string `env:"FIRMAFLOW_LOG_FORMAT, default=text"`
}

// Load reads the configuration from the process environment.
func Load(ctx context.Context) (Config, error) {
	return LoadFrom(ctx, envconfig.OsLookuper())
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
