package contractualis

import (
	"strings"

	"github.com/firmaflow/firmaflow/config"
	"github.com/firmaflow/firmaflow/providers"
)

// Module declares Contractualis to firmaflow (see providers.Module).
var Module = providers.Module{
	Name:       Name,
	NewSection: func() providers.Section { return &Config{} },
	DevSection: devSection,
}

// DevWebhookSecret is the token the simulator's webhooks carry in the dev
// stack: published, so refused anywhere else.
const DevWebhookSecret = "dev-contractualis-webhook-token"

// Config is Contractualis's configuration section.
type Config struct {
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

// IsEnabled implements config.Section.
func (c *Config) IsEnabled() bool { return c.Enabled }

// Secrets implements config.Section: the bridge checks every webhook's token.
func (c *Config) Secrets() []config.Secret {
	return []config.Secret{
		{Env: "CONTRACTUALIS_WEBHOOK_SECRET", Value: c.WebhookSecret, RequiredBy: []config.Role{config.RoleBridge}},
		{Env: "CONTRACTUALIS_API_KEY", Value: c.APIKey},
		{Env: "CONTRACTUALIS_PASSWORD", Value: c.Password},
	}
}

// PublishedSecrets implements config.Section.
func (c *Config) PublishedSecrets() []string { return []string{DevWebhookSecret} }

// Build implements providers.Section.
func (c *Config) Build(deps providers.Deps) (providers.Built, error) {
	client, err := New(Options{
		BaseURL: c.BaseURL, APIKey: c.APIKey, Email: c.Email, Password: c.Password, DownloadHosts: c.DownloadHosts,
		AllowPrivateDownloads: deps.AllowPrivateDownloads,
	})
	if err != nil {
		return providers.Built{}, err
	}
	return providers.Built{Provider: client, Webhook: client, WebhookSecret: c.WebhookSecret}, nil
}

func devSection(simURL string) providers.Section {
	return &Config{
		Enabled: true, BaseURL: simURL, APIKey: "dev-api-key", Email: "dev@firmaflow.test",
		Password: "dev-password", WebhookSecret: DevWebhookSecret,
		DownloadHosts: []string{strings.TrimPrefix(simURL, "http://")},
	}
}
