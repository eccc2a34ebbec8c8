package cellosign

import (
	"strings"

	"github.com/firmaflow/firmaflow/config"
	"github.com/firmaflow/firmaflow/providers"
)

// Module declares CelloSign to firmaflow (see providers.Module).
var Module = providers.Module{
	Name:       Name,
	NewSection: func() providers.Section { return &Config{} },
	DevSection: devSection,
}

// DevWebhookSecret is the token the simulator's archive webhook presents
// in the dev stack: published, so refused anywhere else.
const DevWebhookSecret = "dev-cellosign-webhook-token"

// Config is CelloSign's configuration section.
type Config struct {
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

// IsEnabled implements config.Section.
func (c *Config) IsEnabled() bool { return c.Enabled }

// Secrets implements config.Section: the bridge checks the archive
// webhook's token.
func (c *Config) Secrets() []config.Secret {
	return []config.Secret{
		{Env: "CELLOSIGN_WEBHOOK_SECRET", Value: c.WebhookSecret, RequiredBy: []config.Role{config.RoleBridge}},
		{Env: "CELLOSIGN_TOKEN", Value: c.Token},
	}
}

// PublishedSecrets implements config.Section.
func (c *Config) PublishedSecrets() []string { return []string{DevWebhookSecret} }

// Build implements providers.Section.
func (c *Config) Build(deps providers.Deps) (providers.Built, error) {
	client, err := New(Options{BaseURL: c.BaseURL, Token: c.Token, Project: c.Project,
		DownloadHosts: c.DownloadHosts, AllowPrivateDownloads: deps.AllowPrivateDownloads,
		ArchiveOnlyStart: c.ArchiveOnlyStart})
	if err != nil {
		return providers.Built{}, err
	}
	return providers.Built{Provider: client, Webhook: client, WebhookSecret: c.WebhookSecret}, nil
}

func devSection(simURL string) providers.Section {
	return &Config{
		Enabled: true, BaseURL: simURL, Token: "dev-token", Project: "dev-project",
		WebhookSecret: DevWebhookSecret, ArchiveOnlyStart: true,
		DownloadHosts: []string{strings.TrimPrefix(simURL, "http://")},
	}
}
