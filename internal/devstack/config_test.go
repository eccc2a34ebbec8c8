package devstack

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/firmaflow/firmaflow/config"
	"github.com/firmaflow/firmaflow/connect"
	"github.com/firmaflow/firmaflow/docstore"
	"github.com/firmaflow/firmaflow/internal/modules"
	"github.com/firmaflow/firmaflow/providers/autosign"
)

// TestDevSecretsArePublishedAndSwitchedOnExplicitly: every secret the dev
// stack uses is refused outside it, and the stack (and the worker binary it
// hands WorkerEnv to) turns on the dev switches itself.
func TestDevSecretsArePublishedAndSwitchedOnExplicitly(t *testing.T) {
	require.True(t, config.IsKnownDefaultSecret(DevAPIToken))
	cfg := devConfig(testConfig(t), modules.All, "http://127.0.0.1:1", map[string]string{
		"arqsign": "http://127.0.0.1:2", "contractualis": "http://127.0.0.1:3", "autosign": "http://127.0.0.1:4", "cellosign": "http://127.0.0.1:5",
	})
	require.Len(t, cfg.Providers, len(modules.All))
	for name, section := range cfg.Providers {
		for _, s := range section.Secrets() {
			if s.Value != "" {
				require.True(t, cfg.IsPublishedSecret(s.Value), "%s: %s", name, s.Env)
			}
		}
	}
	require.True(t, cfg.Downloads.AllowPrivate)
	require.True(t, cfg.Callbacks.AllowHTTP)
	require.Equal(t, []string{"127.0.0.1:4"}, cfg.Providers[autosign.Name].(*autosign.Config).DownloadHosts)

	store, err := docstore.Open(context.Background(), "mem://")
	require.NoError(t, err)
	defer store.Close()
	// A host whose temporal CLI talks to a cloud namespace: the worker
	// still joins the dev server in plain gRPC, with no key.
	env := lookup{"TEMPORAL_API_KEY": "the host's key", "TEMPORAL_TLS_SERVER_NAME": "cloud.example",
		"TEMPORAL_CONFIG_FILE": filepath.Join(t.TempDir(), "absent.toml")}
	for _, kv := range (&Stack{Config: cfg, Store: store}).WorkerEnv() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	fromEnv, err := modules.LoadFrom(context.Background(), env, modules.All)
	require.NoError(t, err)
	require.NoError(t, fromEnv.CheckSecrets(config.RoleWorker), "the worker binary joins the dev stack")
	conn, err := connect.Options(fromEnv.Temporal)
	require.NoError(t, err)
	require.Nil(t, conn.Credentials)
	require.True(t, conn.ConnectionOptions.TLSDisabled)
	require.True(t, fromEnv.Downloads.AllowPrivate)
	require.True(t, fromEnv.Callbacks.AllowHTTP)
	for name, section := range cfg.Providers {
		require.Equal(t, section, fromEnv.Providers[name], "WorkerEnv reproduces %s's dev section", name)
	}

	cfg.Secrets.AllowDev = false
	require.Error(t, cfg.CheckSecrets(config.RoleWorker), "the same secrets without the switch")
	require.Error(t, cfg.CheckSecrets(config.RoleBridge))
}
