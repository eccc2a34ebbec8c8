package connect_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/firmaflow/firmaflow/config"
	"github.com/firmaflow/firmaflow/connect"
	"github.com/firmaflow/firmaflow/internal/authserver"
)

type env map[string]string

func (m env) Lookup(k string) (string, bool) { v, ok := m[k]; return v, ok }

func options(t *testing.T, vars env) (client.Options, error) {
	t.Helper()
	if _, ok := vars["TEMPORAL_CONFIG_FILE"]; !ok {
		vars["TEMPORAL_CONFIG_FILE"] = filepath.Join(t.TempDir(), "absent.toml")
	}
	cfg, err := config.LoadFrom(context.Background(), vars)
	require.NoError(t, err)
	return connect.Options(cfg.Temporal)
}

func TestOptionsPlainByDefault(t *testing.T) {
	opts, err := options(t, env{})
	require.NoError(t, err)
	require.Equal(t, "localhost:7233", opts.HostPort)
	require.Equal(t, "default", opts.Namespace)
	require.Nil(t, opts.ConnectionOptions.TLS)
	require.Nil(t, opts.Credentials)
}

// An API key turns TLS on (with the system's roots) unless TLS is turned
// off explicitly: Temporal Cloud needs nothing more, a local server with
// its own CA needs TEMPORAL_TLS_SERVER_CA_CERT_PATH too.
func TestOptionsAPIKeyTurnsTLSOn(t *testing.T) {
	opts, err := options(t, env{"TEMPORAL_API_KEY": "key"})
	require.NoError(t, err)
	require.NotNil(t, opts.Credentials)
	require.NotNil(t, opts.ConnectionOptions.TLS)
	require.Nil(t, opts.ConnectionOptions.TLS.RootCAs, "the system's roots")

	opts, err = options(t, env{"TEMPORAL_API_KEY": "key", "TEMPORAL_TLS": "false"})
	require.NoError(t, err)
	require.NotNil(t, opts.Credentials)
	require.Nil(t, opts.ConnectionOptions.TLS)
	require.True(t, opts.ConnectionOptions.TLSDisabled)
}

func TestOptionsMutualTLSFromData(t *testing.T) {
	ca, err := authserver.NewCA("test CA")
	require.NoError(t, err)
	pair, err := ca.Client("firmaflow")
	require.NoError(t, err)
	opts, err := options(t, env{
		"TEMPORAL_ADDRESS":                 "temporal.internal:7233",
		"TEMPORAL_TLS_CLIENT_CERT_DATA":    string(pair.Cert),
		"TEMPORAL_TLS_CLIENT_KEY_DATA":     string(pair.Key),
		"TEMPORAL_TLS_SERVER_CA_CERT_DATA": string(ca.PEM),
		"TEMPORAL_TLS_SERVER_NAME":         "temporal",
	})
	require.NoError(t, err)
	require.Equal(t, "temporal.internal:7233", opts.HostPort)
	tlsConf := opts.ConnectionOptions.TLS
	require.Len(t, tlsConf.Certificates, 1)
	require.NotNil(t, tlsConf.RootCAs)
	require.Equal(t, "temporal", tlsConf.ServerName)
	require.False(t, tlsConf.InsecureSkipVerify)
	require.Nil(t, opts.Credentials)
}

// A broken key is reported without its contents.
func TestOptionsErrorsKeepKeysOut(t *testing.T) {
	ca, err := authserver.NewCA("test CA")
	require.NoError(t, err)
	pair, err := ca.Client("firmaflow")
	require.NoError(t, err)
	broken := string(pair.Key[:len(pair.Key)/2])
	_, err = options(t, env{"TEMPORAL_TLS_CLIENT_CERT_DATA": string(pair.Cert), "TEMPORAL_TLS_CLIENT_KEY_DATA": broken})
	require.Error(t, err)
	require.NotContains(t, err.Error(), broken[40:80])
	require.NotContains(t, err.Error(), string(pair.Cert[40:80]))
}
