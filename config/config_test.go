package config

import (
	"context"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

type mapLookuper map[string]string

func (m mapLookuper) Lookup(k string) (string, bool) { v, ok := m[k]; return v, ok }

func TestDefaults(t *testing.T) {
	c, err := LoadFrom(context.Background(), mapLookuper{})
	require.NoError(t, err)
	require.Equal(t, "localhost:7233", c.Temporal.Address)
	require.Equal(t, "firmaflow", c.Temporal.TaskQueue)
	require.Equal(t, "./data/documents", c.Store.URL)
	require.Equal(t, "none", c.Telemetry.TracesExporter)
	require.True(t, c.ArqSIGN.Enabled)
	require.Empty(t, c.ArqSIGN.WebhookSecret, "no secret by default: the bridge refuses unauthenticated webhooks")
}

func TestOverridesAndValidation(t *testing.T) {
	c, err := LoadFrom(context.Background(), mapLookuper{"ARQSIGN_DOWNLOAD_HOSTS": "a.example,b.example", "FIRMAFLOW_BRIDGE_MAX_BODY_BYTES": "1024"})
	require.NoError(t, err)
	require.Equal(t, []string{"a.example", "b.example"}, c.ArqSIGN.DownloadHosts)
	require.Equal(t, int64(1024), c.Bridge.MaxBodyBytes)
	_, err = LoadFrom(context.Background(), mapLookuper{"OTEL_TRACES_EXPORTER": "zipkin"})
	require.ErrorContains(t, err, "OTEL_TRACES_EXPORTER")
	_, err = LoadFrom(context.Background(), mapLookuper{"FIRMAFLOW_LOG_LEVEL": "loud"})
	require.ErrorContains(t, err, "FIRMAFLOW_LOG_LEVEL")
	_, err = LoadFrom(context.Background(), mapLookuper{"FIRMAFLOW_BRIDGE_MAX_BODY_BYTES": "lots"})
	require.Error(t, err)
}

// TestREADMEDocumentsEverySetting keeps the README's settings table in step
// with the Config struct: every variable appears with its default.
func TestREADMEDocumentsEverySetting(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	var walk func(reflect.Type)
	walk = func(typ reflect.Type) {
		for i := range typ.NumField() {
			f := typ.Field(i)
			if f.Type.Kind() == reflect.Struct {
				walk(f.Type)
				continue
			}
			tag := f.Tag.Get("env")
			name, opts, _ := strings.Cut(tag, ",")
			row := ""
			for _, line := range strings.Split(string(readme), "\n") {
				if strings.HasPrefix(line, "| `"+name+"`") {
					row = line
				}
			}
			require.NotEmpty(t, row, "README settings table lacks %s", name)
			if _, def, ok := strings.Cut(opts, "default="); ok {
				require.Contains(t, row, "`"+def+"`", "README row for %s lacks its default %q", name, def)
			}
		}
	}
	walk(reflect.TypeOf(Config{}))
}
