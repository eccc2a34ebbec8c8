package arqsign

import (
	"strings"

	"github.com/firmaflow/firmaflow/config"
	"github.com/firmaflow/firmaflow/providers"
)

// Module declares ArqSIGN to firmaflow (see providers.Module).
var Module = providers.Module{
	Name:       Name,
	NewSection: func() providers.Section { return &Config{} },
	DevSection: devSection,
}

// DevWebhookSecret is the HMAC key the simulator signs webhooks with in the
// dev stack: published, so refused anywhere else.
const DevWebhookSecret = "dev-arqsign-hmac-secret"

// Config is ArqSIGN's configuration section.
type Config struct {
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

// IsEnabled implements config.Section.
func (c *Config) IsEnabled() bool { return c.Enabled }

// Secrets implements config.Section: the bridge verifies every webhook
// with the HMAC key.
func (c *Config) Secrets() []config.Secret {
	return []config.Secret{
		{Env: "ARQSIGN_WEBHOOK_SECRET", Value: c.WebhookSecret, RequiredBy: []config.Role{config.RoleBridge}},
		{Env: "ARQSIGN_APP_KEY", Value: c.AppKey},
		{Env: "ARQSIGN_SUBSCRIPTION_KEY", Value: c.SubscriptionKey},
	}
}

// PublishedSecrets implements config.Section.
func (c *Config) PublishedSecrets() []string { return []string{DevWebhookSecret} }

// Build implements providers.Section.
func (c *Config) Build(deps providers.Deps) (providers.Built, error) {
	client, err := New(Options{
		BaseURL: c.BaseURL, AppKey: c.AppKey, SubscriptionKey: c.SubscriptionKey,
		ResponsibleID: c.ResponsibleID, FolderID: c.FolderID,
		DownloadHosts: c.DownloadHosts, AllowPrivateDownloads: deps.AllowPrivateDownloads,
	})
	if err != nil {
		return providers.Built{}, err
	}
	return providers.Built{Provider: client, Webhook: client, WebhookSecret: c.WebhookSecret}, nil
}

func devSection(simURL string) providers.Section {
	return &Config{
		Enabled: true, BaseURL: simURL, AppKey: "dev-app-key", SubscriptionKey: "dev-subscription-key",
		ResponsibleID: "dev-responsible", FolderID: "dev-folder", WebhookSecret: DevWebhookSecret,
		DownloadHosts: []string{strings.TrimPrefix(simURL, "http://")},
	}
}
