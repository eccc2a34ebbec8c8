package devstack

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/firmaflow/firmaflow/config"
	"github.com/firmaflow/firmaflow/docstore"
)

// TestDevSecretsArePublishedAndSwitchedOnExplicitly: every secret the dev
// stack uses is refused outside it, and the stack (and the worker binary it
// hands WorkerEnv to) turns on the dev switches itself.
func TestDevSecretsArePublishedAndSwitchedOnExplicitly(t *testing.T) {
	for _, s := range []string{DevArqSIGNSecret, DevContractualisSecret, DevAutosignSecret, DevCelloSignSecret, DevAPIToken} {
		require.True(t, config.IsKnownDefaultSecret(s), s)
	}
	cfg := devConfig(testConfig(t), "http://127.0.0.1:1", map[string]string{
		"arqsign": "http://127.0.0.1:2", "contractualis": "http://127.0.0.1:3", "autosign": "http://127.0.0.1:4", "cellosign": "http://127.0.0.1:5",
	})
	require.True(t, cfg.Downloads.AllowPrivate)
	require.True(t, cfg.Callbacks.AllowHTTP)
	require.Equal(t, []string{"127.0.0.1:4"}, cfg.Autosign.DownloadHosts)

	store, err := docstore.Open(context.Background(), "mem://")
	require.NoError(t, err)
	defer store.Close()
	env := lookup{}
	for _, kv := range (&Stack{Config: cfg, Store: store}).WorkerEnv() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	fromEnv, err := config.LoadFrom(context.Background(), env)
	require.NoError(t, err)
	require.NoError(t, fromEnv.CheckSecrets(config.RoleWorker), "the worker binary joins the dev stack")
	require.True(t, fromEnv.Downloads.AllowPrivate)
	require.True(t, fromEnv.Callbacks.AllowHTTP)

	cfg.Secrets.AllowDev = false
	require.Error(t, cfg.CheckSecrets(config.RoleWorker), "the same secrets without the switch")
	require.Error(t, cfg.CheckSecrets(config.RoleBridge))
}
