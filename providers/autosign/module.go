package autosign

import (
	"net/url"
	"strings"

	"github.com/firmaflow/firmaflow/config"
	"github.com/firmaflow/firmaflow/providers"
)

// Module declares Autosign to firmaflow (see providers.Module).
var Module = providers.Module{
	Name:       Name,
	NewSection: func() providers.Section { return &Config{} },
	DevSection: devSection,
}

// DevWebhookSecret is the token notification URLs carry in the dev stack:
// published, so refused anywhere else.
const DevWebhookSecret = "dev-autosign-webhook-token"

// Config is Autosign's configuration section.
type Config struct {
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

// IsEnabled implements config.Section.
func (c *Config) IsEnabled() bool { return c.Enabled }

// Secrets implements config.Section: the worker needs the webhook token
// too, because it puts it into every transaction's notification URL.
func (c *Config) Secrets() []config.Secret {
	return []config.Secret{
		{Env: "AUTOSIGN_WEBHOOK_SECRET", Value: c.WebhookSecret, RequiredBy: []config.Role{config.RoleBridge, config.RoleWorker}},
		{Env: "AUTOSIGN_CLIENT_SECRET", Value: c.ClientSecret},
		{Env: "AUTOSIGN_REFRESH_TOKEN", Value: c.RefreshToken},
	}
}

// PublishedSecrets implements config.Section.
func (c *Config) PublishedSecrets() []string { return []string{DevWebhookSecret} }

// Build implements providers.Section.
func (c *Config) Build(deps providers.Deps) (providers.Built, error) {
	client, err := New(Options{
		BaseURL: c.BaseURL, ClientID: c.ClientID, ClientSecret: c.ClientSecret, RefreshToken: c.RefreshToken,
		Credentials: deps.Credentials,
		WebhookURL:  deps.WebhookURL + "?token=" + url.QueryEscape(c.WebhookSecret),
		SenderName:  c.SenderName, SenderEmail: c.SenderEmail, DownloadHosts: c.DownloadHosts,
		AllowPrivateDownloads: deps.AllowPrivateDownloads,
	})
	if err != nil {
		return providers.Built{}, err
	}
	return providers.Built{Provider: client, Webhook: client, WebhookSecret: c.WebhookSecret}, nil
}

func devSection(simURL string) providers.Section {
	return &Config{
		Enabled: true, BaseURL: simURL, ClientID: "dev-client", ClientSecret: "dev-client-secret",
		RefreshToken: "dev-refresh-token", SenderName: "firmaflow dev", SenderEmail: "dev@firmaflow.test",
		WebhookSecret: DevWebhookSecret, DownloadHosts: []string{strings.TrimPrefix(simURL, "http://")},
	}
}
