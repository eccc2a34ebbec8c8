package connect_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"

	"github.com/firmaflow/firmaflow/internal/authserver"
)

// TestMutualTLS: against a server that requires client certificates, a
// process configured only through a temporal.toml profile does real work
// (connect.Temporal in the test, then the worker binary);
// without a client certificate, or with one from another CA, the server
// refuses the connection.
func TestMutualTLS(t *testing.T) {
	ca, err := authserver.NewCA("firmaflow test CA")
	require.NoError(t, err)
	srv := startServer(t, authserver.Options{CA: ca, RequireClientCert: true, Namespace: "firmaflow-mtls"})

	dir := t.TempDir()
	pair, err := ca.Client("firmaflow-worker")
	require.NoError(t, err)
	certFile, keyFile, err := pair.Write(dir, "client")
	require.NoError(t, err)
	profile := filepath.Join(dir, "temporal.toml")
	require.NoError(t, os.WriteFile(profile, []byte(fmt.Sprintf(`
[profile.default]
address = "127.0.0.1:1"

[profile.selfhosted]
address = %q
namespace = "firmaflow-mtls"

[profile.selfhosted.tls]
client_cert_path = %q
client_key_path = %q
server_ca_cert_path = %q
server_name = "localhost"
`, srv.Address, certFile, keyFile, srv.CAFile)), 0o600))
	env := map[string]string{"TEMPORAL_CONFIG_FILE": profile, "TEMPORAL_PROFILE": "selfhosted"}

	clientEnv(t, env)
	runWorkflow(t)
	t.Run("the worker binary", func(t *testing.T) {
		clientEnv(t, env)
		runWorkerBinary(t, pair)
	})

	t.Run("no client certificate", func(t *testing.T) {
		clientEnv(t, env)
		// Variables over the profile: empty paths mean no certificate.
		t.Setenv("TEMPORAL_TLS_CLIENT_CERT_PATH", "")
		t.Setenv("TEMPORAL_TLS_CLIENT_KEY_PATH", "")
		requireRefused[*serviceerror.Unavailable](t, useNamespace(t), "no client certificate")
	})
	t.Run("certificate from another CA", func(t *testing.T) {
		other, err := authserver.NewCA("another CA")
		require.NoError(t, err)
		pair, err := other.Client("firmaflow-worker")
		require.NoError(t, err)
		otherCert, otherKey, err := pair.Write(t.TempDir(), "client")
		require.NoError(t, err)
		clientEnv(t, env)
		t.Setenv("TEMPORAL_TLS_CLIENT_CERT_PATH", otherCert)
		t.Setenv("TEMPORAL_TLS_CLIENT_KEY_PATH", otherKey)
		requireRefused[*serviceerror.Unavailable](t, useNamespace(t), "certificate from another CA")
	})
	t.Run("the right certificate still works", func(t *testing.T) {
		clientEnv(t, env)
		require.NoError(t, useNamespace(t))
	})
}
