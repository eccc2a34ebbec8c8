package config

import (
	"errors"
	"fmt"
	"strings"
)

// Role is the firmaflow process a configuration is checked for.
type Role int

const (
	// RoleWorker runs workflows and activities; of the webhook secrets it
	// uses only Autosign's, which every transaction's notification URL carries.
	RoleWorker Role = iota
	// RoleBridge authenticates every provider's webhooks and the HTTP API.
	RoleBridge
)

// knownDefaultSecrets are values this repository has published (the dev
// stack, the simulators' compose file, earlier compose defaults): anyone
// can read them, so they authenticate nobody.
var knownDefaultSecrets = map[string]bool{
	"dev-api-token": true, "dev-arqsign-hmac-secret": true, "dev-contractualis-webhook-token": true,
	"dev-autosign-webhook-token": true, "dev-cellosign-webhook-token": true, "dev-app-key": true,
	"dev-subscription-key": true, "dev-api-key": true, "dev-password": true, "dev-client-secret": true,
	"dev-refresh-token": true, "dev-token": true,
	"compose-app-key": true, "compose-subscription-key": true, "compose-api-key": true, "compose-password": true,
	"compose-client-secret": true, "compose-refresh-token": true, "compose-token": true, "dev-postgres-password": true,
}

// IsKnownDefaultSecret reports whether v is a published placeholder or
// development secret.
func IsKnownDefaultSecret(v string) bool {
	v = strings.ToLower(strings.TrimSpace(v))
	return knownDefaultSecrets[v] || strings.HasPrefix(v, "change-me") || strings.HasPrefix(v, "changeme")
}

// CheckSecrets refuses to run role with a published secret anywhere, or
// without a secret it needs to authenticate callers: an enabled provider's
// webhook secret (the bridge; the worker needs Autosign's). An empty
// FIRMAFLOW_API_TOKEN turns the API off and is allowed. With
// FIRMAFLOW_ALLOW_DEV_SECRETS (the simulators' compose file) nothing is
// checked.
func (c Config) CheckSecrets(role Role) error {
	if c.Secrets.AllowDev {
		return nil
	}
	type secret struct {
		name, value string
		required    bool
	}
	bridge := role == RoleBridge
	secrets := []secret{
		{"FIRMAFLOW_API_TOKEN", c.Bridge.APIToken, false},
		{"FIRMAFLOW_CALLBACK_SECRET", c.Callbacks.Secret, false},
		{"ARQSIGN_WEBHOOK_SECRET", c.ArqSIGN.WebhookSecret, bridge && c.ArqSIGN.Enabled},
		{"ARQSIGN_APP_KEY", c.ArqSIGN.AppKey, false},
		{"ARQSIGN_SUBSCRIPTION_KEY", c.ArqSIGN.SubscriptionKey, false},
		{"CONTRACTUALIS_WEBHOOK_SECRET", c.Contractualis.WebhookSecret, bridge && c.Contractualis.Enabled},
		{"CONTRACTUALIS_API_KEY", c.Contractualis.APIKey, false},
		{"CONTRACTUALIS_PASSWORD", c.Contractualis.Password, false},
		{"AUTOSIGN_WEBHOOK_SECRET", c.Autosign.WebhookSecret, c.Autosign.Enabled},
		{"AUTOSIGN_CLIENT_SECRET", c.Autosign.ClientSecret, false},
		{"AUTOSIGN_REFRESH_TOKEN", c.Autosign.RefreshToken, false},
		{"CELLOSIGN_WEBHOOK_SECRET", c.CelloSign.WebhookSecret, bridge && c.CelloSign.Enabled},
		{"CELLOSIGN_TOKEN", c.CelloSign.Token, false},
	}
	var errs []error
	for _, s := range secrets {
		switch {
		case s.value == "" && s.required:
			errs = append(errs, fmt.Errorf("%s is empty (set it, or turn the provider off)", s.name))
		case s.value != "" && IsKnownDefaultSecret(s.value):
			errs = append(errs, fmt.Errorf("%s is a published default, not a secret", s.name))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("config: refusing to start without real secrets (FIRMAFLOW_ALLOW_DEV_SECRETS=true only for the simulators): %w", errors.Join(errs...))
	}
	return nil
}
