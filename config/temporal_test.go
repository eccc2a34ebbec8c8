package config

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

const profiles = `
[profile.default]
address = "profile-default:7233"
namespace = "ns-default"
api_key = "key-from-file"

[profile.cloud]
address = "ns-cloud.acct.tmprl.cloud:7233"
namespace = "ns-cloud.acct"

[profile.cloud.tls]
server_name = "cloud.example"
`

func profileFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "temporal.toml")
	require.NoError(t, os.WriteFile(path, []byte(profiles), 0o600))
	return path
}

func loadTemporal(t *testing.T, env mapLookuper) Temporal {
	t.Helper()
	c, err := LoadFrom(context.Background(), env)
	require.NoError(t, err)
	return c.Temporal
}

func TestTemporalDefaultsWithoutProfile(t *testing.T) {
	tc := loadTemporal(t, mapLookuper{"TEMPORAL_CONFIG_FILE": filepath.Join(t.TempDir(), "absent.toml")})
	require.Equal(t, DefaultTemporalAddress, tc.Address)
	require.Equal(t, DefaultTemporalNamespace, tc.Namespace)
	conn := tc.Connection()
	require.Nil(t, conn.TLS)
	require.Empty(t, conn.APIKey)
}

func TestTemporalPrecedence(t *testing.T) {
	file := profileFile(t)

	t.Run("the default profile", func(t *testing.T) {
		tc := loadTemporal(t, mapLookuper{"TEMPORAL_CONFIG_FILE": file})
		require.Equal(t, "profile-default:7233", tc.Address)
		require.Equal(t, "ns-default", tc.Namespace)
		require.Equal(t, "key-from-file", tc.Connection().APIKey)
	})
	t.Run("TEMPORAL_PROFILE picks one", func(t *testing.T) {
		tc := loadTemporal(t, mapLookuper{"TEMPORAL_CONFIG_FILE": file, "TEMPORAL_PROFILE": "cloud"})
		require.Equal(t, "ns-cloud.acct.tmprl.cloud:7233", tc.Address)
		require.Equal(t, "ns-cloud.acct", tc.Namespace)
		conn := tc.Connection()
		require.Equal(t, "cloud.example", conn.TLS.ServerName)
		require.Empty(t, conn.APIKey)
	})
	t.Run("variables over the profile", func(t *testing.T) {
		tc := loadTemporal(t, mapLookuper{"TEMPORAL_CONFIG_FILE": file,
			"TEMPORAL_ADDRESS": "env:7233", "TEMPORAL_API_KEY": "key-from-env"})
		require.Equal(t, "env:7233", tc.Address)
		require.Equal(t, "ns-default", tc.Namespace, "what the variables leave is the profile's")
		conn := tc.Connection()
		require.Equal(t, "env:7233", conn.Address)
		require.Equal(t, "key-from-env", conn.APIKey)
	})
	t.Run("code over both", func(t *testing.T) {
		tc := loadTemporal(t, mapLookuper{"TEMPORAL_CONFIG_FILE": file, "TEMPORAL_ADDRESS": "env:7233"})
		tc.Address, tc.Namespace = "code:7233", "ns-code"
		conn := tc.Connection()
		require.Equal(t, "code:7233", conn.Address)
		require.Equal(t, "ns-code", conn.Namespace)
		require.Equal(t, "key-from-file", conn.APIKey, "credentials stay the environment's")
	})
	t.Run("Plain drops credentials and TLS", func(t *testing.T) {
		tc := loadTemporal(t, mapLookuper{"TEMPORAL_CONFIG_FILE": file, "TEMPORAL_PROFILE": "cloud", "TEMPORAL_API_KEY": "k"})
		tc.Address = "127.0.0.1:7233"
		tc.Plain()
		conn := tc.Connection()
		require.Equal(t, "127.0.0.1:7233", conn.Address)
		require.Nil(t, conn.TLS)
		require.Empty(t, conn.APIKey)
	})
	t.Run("a named profile that is missing", func(t *testing.T) {
		_, err := LoadFrom(context.Background(), mapLookuper{"TEMPORAL_CONFIG_FILE": file, "TEMPORAL_PROFILE": "staging"})
		require.ErrorContains(t, err, "staging")
	})
	t.Run("gRPC headers from listed variables", func(t *testing.T) {
		c, err := LoadFrom(context.Background(), listedEnv{"TEMPORAL_CONFIG_FILE": file, "TEMPORAL_GRPC_META_X_TENANT": "acme"})
		require.NoError(t, err)
		require.Equal(t, map[string]string{"x-tenant": "acme"}, c.Temporal.Connection().GRPCMeta)
	})
}

func TestTemporalBuiltInCode(t *testing.T) {
	conn := Temporal{Address: "127.0.0.1:7233"}.Connection()
	require.Equal(t, "127.0.0.1:7233", conn.Address)
	require.Equal(t, DefaultTemporalNamespace, conn.Namespace)
	require.Nil(t, conn.TLS)
}

type listedEnv map[string]string

func (m listedEnv) Lookup(k string) (string, bool) { v, ok := m[k]; return v, ok }

func (m listedEnv) Environ() []string {
	var kv []string
	for k, v := range m {
		kv = append(kv, k+"="+v)
	}
	return kv
}
