package config

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

func load(t *testing.T, l mapLookuper) Config {
	t.Helper()
	c, err := LoadFrom(context.Background(), l)
	require.NoError(t, err)
	return c
}

func TestCheckSecretsRefusesPublishedDefaults(t *testing.T) {
	for name, value := range map[string]string{
		"FIRMAFLOW_API_TOKEN":       "change-me-api-token",
		"FIRMAFLOW_CALLBACK_SECRET": "CHANGEME",
	} {
		l := mapLookuper{name: value}
		for _, role := range []Role{RoleWorker, RoleBridge} {
			err := load(t, l).CheckSecrets(role)
			require.ErrorContains(t, err, name)
			require.NotContains(t, err.Error(), value, "the error names the variable, not its value")
		}
	}
	require.NoError(t, load(t, mapLookuper{}).CheckSecrets(RoleBridge), "an empty API token turns the API off")
	l := mapLookuper{"FIRMAFLOW_API_TOKEN": "dev-api-token", "FIRMAFLOW_ALLOW_DEV_SECRETS": "true"}
	require.NoError(t, load(t, l).CheckSecrets(RoleBridge), "the simulators' compose file allows them explicitly")
}
