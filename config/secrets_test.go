package config

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

func realSecrets() mapLookuper {
	return mapLookuper{
		"FIRMAFLOW_API_TOKEN":          "0c5f1b6e1f9a4c27a1e8d2b7c3f40e95",
		"ARQSIGN_WEBHOOK_SECRET":       "arq-7f3e9d1c5b2a4e6f8a0c",
		"CONTRACTUALIS_WEBHOOK_SECRET": "ctr-1a2b3c4d5e6f7a8b9c0d",
		"AUTOSIGN_WEBHOOK_SECRET":      "aut-9f8e7d6c5b4a39281706",
		"CELLOSIGN_WEBHOOK_SECRET":     "cel-0f1e2d3c4b5a69788796",
	}
}

func load(t *testing.T, l mapLookuper) Config {
	t.Helper()
	c, err := LoadFrom(context.Background(), l)
	require.NoError(t, err)
	return c
}

func TestCheckSecretsRefusesMissingWebhookSecrets(t *testing.T) {
	c := load(t, mapLookuper{})
	err := c.CheckSecrets(RoleBridge)
	for _, name := range []string{"ARQSIGN_WEBHOOK_SECRET", "CONTRACTUALIS_WEBHOOK_SECRET", "AUTOSIGN_WEBHOOK_SECRET", "CELLOSIGN_WEBHOOK_SECRET"} {
		require.ErrorContains(t, err, name)
	}
	require.NotContains(t, err.Error(), "FIRMAFLOW_API_TOKEN", "an empty API token turns the API off")

	err = c.CheckSecrets(RoleWorker)
	require.ErrorContains(t, err, "AUTOSIGN_WEBHOOK_SECRET", "the worker puts it into Autosign's notification URL")
	require.NotContains(t, err.Error(), "ARQSIGN_WEBHOOK_SECRET")

	require.NoError(t, load(t, realSecrets()).CheckSecrets(RoleBridge))
	require.NoError(t, load(t, realSecrets()).CheckSecrets(RoleWorker))

	off := mapLookuper{"ARQSIGN_ENABLED": "false", "CONTRACTUALIS_ENABLED": "false", "AUTOSIGN_ENABLED": "false", "CELLOSIGN_ENABLED": "false"}
	require.NoError(t, load(t, off).CheckSecrets(RoleBridge), "a provider turned off needs no secret")
}

func TestCheckSecretsRefusesPublishedDefaults(t *testing.T) {
	for name, value := range map[string]string{
		"FIRMAFLOW_API_TOKEN":          "change-me-api-token",
		"ARQSIGN_WEBHOOK_SECRET":       "change-me-arqsign-hmac-secret",
		"CONTRACTUALIS_WEBHOOK_SECRET": "dev-contractualis-webhook-token",
		"AUTOSIGN_CLIENT_SECRET":       "compose-client-secret",
		"CELLOSIGN_TOKEN":              "dev-token",
		"FIRMAFLOW_CALLBACK_SECRET":    "CHANGEME",
	} {
		l := realSecrets()
		l[name] = value
		for _, role := range []Role{RoleWorker, RoleBridge} {
			err := load(t, l).CheckSecrets(role)
			require.ErrorContains(t, err, name)
			require.NotContains(t, err.Error(), value, "the error names the variable, not its value")
		}
	}
	l := realSecrets()
	l["FIRMAFLOW_API_TOKEN"] = "dev-api-token"
	l["FIRMAFLOW_ALLOW_DEV_SECRETS"] = "true"
	require.NoError(t, load(t, l).CheckSecrets(RoleBridge), "the simulators' compose file allows them explicitly")
	require.NoError(t, load(t, mapLookuper{"FIRMAFLOW_ALLOW_DEV_SECRETS": "true"}).CheckSecrets(RoleBridge))
}
