package config

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Role is the firmaflow process a configuration is checked for.
type Role int

const (
	// RoleWorker runs workflows and activities; it needs only the webhook
	// secrets it hands to providers itself (in notification URLs).
	RoleWorker Role = iota
	// RoleBridge authenticates every provider's webhooks and the HTTP API.
	RoleBridge
)

// knownDefaultSecrets are values this repository has published (the dev
// stack, the simulators' compose file, earlier compose defaults): anyone
// can read them, so they authenticate nobody. Each provider's module adds
// its simulator's own (Section.PublishedSecrets).
var knownDefaultSecrets = map[string]bool{
	"dev-api-token": true, "dev-app-key": true,
	"dev-subscription-key": true, "dev-api-key": true, "dev-password": true, "dev-client-secret": true,
	"dev-refresh-token": true, "dev-token": true,
	"compose-app-key": true, "compose-subscription-key": true, "compose-api-key": true, "compose-password": true,
	"compose-client-secret": true, "compose-refresh-token": true, "compose-token": true, "dev-postgres-password": true,
}

// IsKnownDefaultSecret reports whether v is a published placeholder or
// development secret of firmaflow's own (not a provider simulator's: see
// Config.IsPublishedSecret).
func IsKnownDefaultSecret(v string) bool {
	v = strings.ToLower(strings.TrimSpace(v))
	return knownDefaultSecrets[v] || strings.HasPrefix(v, "change-me") || strings.HasPrefix(v, "changeme")
}

// IsPublishedSecret reports whether v is a published default: firmaflow's
// own or one a configured provider's simulator publishes.
func (c Config) IsPublishedSecret(v string) bool {
	if IsKnownDefaultSecret(v) {
		return true
	}
	v = strings.ToLower(strings.TrimSpace(v))
	for _, section := range c.Providers {
		if slices.ContainsFunc(section.PublishedSecrets(), func(p string) bool { return strings.ToLower(p) == v }) {
			return true
		}
	}
	return false
}

// CheckSecrets refuses to run role with a published secret anywhere, or
// without a secret it needs to authenticate callers: an enabled provider's
// secrets its section marks required by role (the bridge needs every
// webhook secret). An empty FIRMAFLOW_API_TOKEN turns the API off and is
// allowed. With FIRMAFLOW_ALLOW_DEV_SECRETS (the simulators' compose file)
// nothing is checked.
func (c Config) CheckSecrets(role Role) error {
	if c.Secrets.AllowDev {
		return nil
	}
	type check struct {
		Secret
		required bool
	}
	checks := []check{
		{Secret{Env: "FIRMAFLOW_API_TOKEN", Value: c.Bridge.APIToken}, false},
		{Secret{Env: "FIRMAFLOW_CALLBACK_SECRET", Value: c.Callbacks.Secret}, false},
	}
	names := make([]string, 0, len(c.Providers))
	for name := range c.Providers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		section := c.Providers[name]
		for _, s := range section.Secrets() {
			checks = append(checks, check{s, section.IsEnabled() && slices.Contains(s.RequiredBy, role)})
		}
	}
	var errs []error
	for _, s := range checks {
		switch {
		case s.Value == "" && s.required:
			errs = append(errs, fmt.Errorf("%s is empty (set it, or turn the provider off)", s.Env))
		case s.Value != "" && c.IsPublishedSecret(s.Value):
			errs = append(errs, fmt.Errorf("%s is a published default, not a secret", s.Env))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("config: refusing to start without real secrets (FIRMAFLOW_ALLOW_DEV_SECRETS=true only for the simulators): %w", errors.Join(errs...))
	}
	return nil
}
