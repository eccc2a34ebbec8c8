// Package fakeprovider is a fifth, made-up e-signature provider in one
// package: its module (config section, build, secrets), a tiny API client
// and webhook parser, and its simulator. The end-to-end tests add it to a
// dev stack with one line to prove that a provider is one module.
package fakeprovider

import (
	"github.com/firmaflow/firmaflow/config"
	"github.com/firmaflow/firmaflow/providers"
)

// Name is the provider's name in inputs, events and webhook URLs.
const Name = "fakesign"

// DevWebhookSecret is the token the simulator's webhooks present in the dev
// stack: published, so refused anywhere else.
const DevWebhookSecret = "dev-fakesign-webhook-token"

// Module declares the provider, its simulator included: the two live in one
// package, so no module list has to join them.
var Module = providers.Module{
	Name:       Name,
	NewSection: func() providers.Section { return &Config{} },
	DevSection: devSection,
	Simulator:  providers.Simulator{Addr: "127.0.0.1:8099", Scenarios: []string{"sign"}, Start: startSimulator},
}

// Config is the provider's configuration section.
type Config struct {
	Enabled bool   `env:"FAKESIGN_ENABLED, default=true"`
	BaseURL string `env:"FAKESIGN_BASE_URL, default=https://api.fakesign.invalid"`
	// APIKey authenticates API calls (X-Api-Key).
	APIKey string `env:"FAKESIGN_API_KEY"`
	// WebhookSecret is the token webhooks present (X-Firmaflow-Token).
	WebhookSecret string `env:"FAKESIGN_WEBHOOK_SECRET"`
}

// IsEnabled implements config.Section.
func (c *Config) IsEnabled() bool { return c.Enabled }

// Secrets implements config.Section.
func (c *Config) Secrets() []config.Secret {
	return []config.Secret{
		{Env: "FAKESIGN_WEBHOOK_SECRET", Value: c.WebhookSecret, RequiredBy: []config.Role{config.RoleBridge}},
		{Env: "FAKESIGN_API_KEY", Value: c.APIKey},
	}
}

// PublishedSecrets implements config.Section.
func (c *Config) PublishedSecrets() []string { return []string{DevWebhookSecret} }

// Build implements providers.Section.
func (c *Config) Build(deps providers.Deps) (providers.Built, error) {
	client, err := newClient(c.BaseURL, c.APIKey, deps.AllowPrivateDownloads)
	if err != nil {
		return providers.Built{}, err
	}
	return providers.Built{Provider: client, Webhook: client, WebhookSecret: c.WebhookSecret}, nil
}

func devSection(simURL string) providers.Section {
	return &Config{Enabled: true, BaseURL: simURL, APIKey: "dev-api-key", WebhookSecret: DevWebhookSecret}
}
