package app

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/firmaflow/firmaflow/config"
)

type mapLookuper map[string]string

func (m mapLookuper) Lookup(k string) (string, bool) { v, ok := m[k]; return v, ok }

// TestCallbackSettingsFollowConfig: https is required unless the dev switch
// says otherwise, and the allowlist reaches the activity as configured.
func TestCallbackSettingsFollowConfig(t *testing.T) {
	cfg, err := config.LoadFrom(context.Background(), mapLookuper{"FIRMAFLOW_CALLBACK_HOSTS": "hooks.example.com:8443"})
	require.NoError(t, err)
	cb, err := callbackSettings(cfg)
	require.NoError(t, err)
	require.False(t, cb.AllowHTTP, "https by default")
	require.False(t, cb.AllowPrivate)
	require.Equal(t, []string{"hooks.example.com:8443"}, cb.Hosts)

	cfg, err = config.LoadFrom(context.Background(), mapLookuper{"FIRMAFLOW_ALLOW_HTTP_CALLBACKS": "true"})
	require.NoError(t, err)
	cb, err = callbackSettings(cfg)
	require.NoError(t, err)
	require.True(t, cb.AllowHTTP)

	cfg.Callbacks.Secret = "not-a-secret"
	_, err = callbackSettings(cfg)
	require.ErrorContains(t, err, "FIRMAFLOW_CALLBACK_SECRET")
}
