package connect_test

import (
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"

	"github.com/firmaflow/firmaflow/internal/authserver"
)

// TestAPIKey: against a server whose JWT authorizer trusts the key set a
// test issuer serves, a process configured only through TEMPORAL_*
// variables with TEMPORAL_API_KEY (a JWT granting the namespace) does real
// work; no key, a key signed by another issuer or one for another
// namespace is refused.
//
// An API key turns TLS on (the SDK will not send it in the clear unless
// TEMPORAL_TLS=false), trusting the system's roots: Temporal Cloud needs
// nothing else, this server's test CA has to be named.
func TestAPIKey(t *testing.T) {
	const namespace = "firmaflow-jwt"
	issuer, err := authserver.NewIssuer("firmaflow-test-key")
	require.NoError(t, err)
	jwks := httptest.NewServer(issuer)
	defer jwks.Close()
	admin, err := issuer.Token("admin", "temporal-system:admin")
	require.NoError(t, err)
	ca, err := authserver.NewCA("firmaflow test CA")
	require.NoError(t, err)
	srv := startServer(t, authserver.Options{CA: ca, JWKSURL: jwks.URL, AdminAPIKey: admin, Namespace: namespace})

	key, err := issuer.Token("firmaflow-worker", namespace+":write")
	require.NoError(t, err)
	env := map[string]string{"TEMPORAL_ADDRESS": srv.Address, "TEMPORAL_NAMESPACE": namespace,
		"TEMPORAL_API_KEY": key, "TEMPORAL_TLS_SERVER_CA_CERT_PATH": srv.CAFile}

	clientEnv(t, env)
	runWorkflow(t)

	t.Run("no key", func(t *testing.T) {
		clientEnv(t, env)
		t.Setenv("TEMPORAL_API_KEY", "")
		requireRefused[*serviceerror.PermissionDenied](t, useNamespace(t), "no key")
	})
	t.Run("key signed by another issuer", func(t *testing.T) {
		forger, err := authserver.NewIssuer("firmaflow-test-key") // same key id, other key
		require.NoError(t, err)
		forged, err := forger.Token("firmaflow-worker", namespace+":write")
		require.NoError(t, err)
		clientEnv(t, env)
		t.Setenv("TEMPORAL_API_KEY", forged)
		requireRefused[*serviceerror.PermissionDenied](t, useNamespace(t), "forged key")
	})
	t.Run("key for another namespace", func(t *testing.T) {
		other, err := issuer.Token("firmaflow-worker", "someone-else:write")
		require.NoError(t, err)
		clientEnv(t, env)
		t.Setenv("TEMPORAL_API_KEY", other)
		requireRefused[*serviceerror.PermissionDenied](t, useNamespace(t), "key for another namespace")
	})
	t.Run("the server's CA unnamed", func(t *testing.T) {
		clientEnv(t, env)
		t.Setenv("TEMPORAL_TLS_SERVER_CA_CERT_PATH", "")
		// The client refuses the server (unknown authority) before any key is sent.
		requireRefused[*serviceerror.Unavailable](t, useNamespace(t), "server's CA unnamed")
	})
	t.Run("the right key still works", func(t *testing.T) {
		clientEnv(t, env)
		require.NoError(t, useNamespace(t))
	})
}
