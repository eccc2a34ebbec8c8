package modules

import (
	"context"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/firmaflow/firmaflow/config"
	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/providers/arqsign"
	"github.com/firmaflow/firmaflow/providers/autosign"
)

type mapLookuper map[string]string

func (m mapLookuper) Lookup(k string) (string, bool) { v, ok := m[k]; return v, ok }

func load(t *testing.T, l mapLookuper) config.Config {
	t.Helper()
	c, err := LoadFrom(context.Background(), l, All)
	require.NoError(t, err)
	return c
}

func realSecrets() mapLookuper {
	return mapLookuper{
		"FIRMAFLOW_API_TOKEN":          "0c5f1b6e1f9a4c27a1e8d2b7c3f40e95",
		"ARQSIGN_WEBHOOK_SECRET":       "arq-7f3e9d1c5b2a4e6f8a0c",
		"CONTRACTUALIS_WEBHOOK_SECRET": "ctr-1a2b3c4d5e6f7a8b9c0d",
		"AUTOSIGN_WEBHOOK_SECRET":      "aut-9f8e7d6c5b4a39281706",
		"CELLOSIGN_WEBHOOK_SECRET":     "cel-0f1e2d3c4b5a69788796",
	}
}

func TestEveryModuleIsLoadedUnderItsOwnVariables(t *testing.T) {
	c := load(t, mapLookuper{"ARQSIGN_DOWNLOAD_HOSTS": "a.example,b.example"})
	require.Len(t, c.Providers, len(All))
	for _, m := range All {
		require.True(t, c.Providers[m.Name].IsEnabled(), m.Name)
	}
	arq := c.Providers[arqsign.Name].(*arqsign.Config)
	require.Equal(t, []string{"a.example", "b.example"}, arq.DownloadHosts)
	require.Empty(t, arq.WebhookSecret, "no secret by default: the bridge refuses unauthenticated webhooks")

	_, err := LoadFrom(context.Background(), mapLookuper{}, append(All[:len(All):len(All)], All[0]))
	require.ErrorContains(t, err, "listed twice")
}

func TestCheckSecretsRefusesMissingWebhookSecrets(t *testing.T) {
	c := load(t, mapLookuper{})
	err := c.CheckSecrets(config.RoleBridge)
	for _, name := range []string{"ARQSIGN_WEBHOOK_SECRET", "CONTRACTUALIS_WEBHOOK_SECRET", "AUTOSIGN_WEBHOOK_SECRET", "CELLOSIGN_WEBHOOK_SECRET"} {
		require.ErrorContains(t, err, name)
	}
	require.NotContains(t, err.Error(), "FIRMAFLOW_API_TOKEN", "an empty API token turns the API off")

	err = c.CheckSecrets(config.RoleWorker)
	require.ErrorContains(t, err, "AUTOSIGN_WEBHOOK_SECRET", "the worker puts it into Autosign's notification URL")
	require.NotContains(t, err.Error(), "ARQSIGN_WEBHOOK_SECRET")

	require.NoError(t, load(t, realSecrets()).CheckSecrets(config.RoleBridge))
	require.NoError(t, load(t, realSecrets()).CheckSecrets(config.RoleWorker))

	off := mapLookuper{"ARQSIGN_ENABLED": "false", "CONTRACTUALIS_ENABLED": "false", "AUTOSIGN_ENABLED": "false", "CELLOSIGN_ENABLED": "false"}
	require.NoError(t, load(t, off).CheckSecrets(config.RoleBridge), "a provider turned off needs no secret")
}

func TestCheckSecretsRefusesPublishedDefaults(t *testing.T) {
	for name, value := range map[string]string{
		"FIRMAFLOW_API_TOKEN":          "change-me-api-token",
		"ARQSIGN_WEBHOOK_SECRET":       "change-me-arqsign-hmac-secret",
		"CONTRACTUALIS_WEBHOOK_SECRET": "dev-contractualis-webhook-token",
		"CELLOSIGN_WEBHOOK_SECRET":     arqsign.DevWebhookSecret, // another simulator's is published too
		"AUTOSIGN_CLIENT_SECRET":       "compose-client-secret",
		"CELLOSIGN_TOKEN":              "dev-token",
		"FIRMAFLOW_CALLBACK_SECRET":    "CHANGEME",
	} {
		l := realSecrets()
		l[name] = value
		for _, role := range []config.Role{config.RoleWorker, config.RoleBridge} {
			err := load(t, l).CheckSecrets(role)
			require.ErrorContains(t, err, name)
			require.NotContains(t, err.Error(), value, "the error names the variable, not its value")
		}
	}
	l := realSecrets()
	l["FIRMAFLOW_API_TOKEN"] = "dev-api-token"
	l["FIRMAFLOW_ALLOW_DEV_SECRETS"] = "true"
	require.NoError(t, load(t, l).CheckSecrets(config.RoleBridge), "the simulators' compose file allows them explicitly")
	require.NoError(t, load(t, mapLookuper{"FIRMAFLOW_ALLOW_DEV_SECRETS": "true"}).CheckSecrets(config.RoleBridge))
}

// TestDevSectionsPointAtTheSimulator: each module's dev section reaches
// its simulator with secrets that are published (refused elsewhere).
func TestDevSectionsPointAtTheSimulator(t *testing.T) {
	for _, m := range All {
		section := m.DevSection("http://127.0.0.1:9")
		c := config.Config{Providers: map[string]config.Section{m.Name: section}}
		require.True(t, section.IsEnabled(), m.Name)
		require.Equal(t, "http://127.0.0.1:9", config.Variables(section)[strings.ToUpper(m.Name)+"_BASE_URL"], m.Name)
		for _, s := range section.Secrets() {
			if s.Value != "" {
				require.True(t, c.IsPublishedSecret(s.Value), "%s: %s", m.Name, s.Env)
			}
		}
		require.NotNil(t, m.Simulator.Start, m.Name)
		require.NotEmpty(t, m.Simulator.Scenarios, m.Name)
	}
	require.Equal(t, "firmaflow dev", moduleNamed(autosign.Name).DevSection("http://x").(*autosign.Config).SenderName)
}

func moduleNamed(name string) providers.Module {
	for _, x := range All {
		if x.Name == name {
			return x
		}
	}
	panic(name)
}

// TestREADMEDocumentsEverySetting keeps the README's settings table in step
// with the configuration: every variable of the Config struct and of every
// module's section appears with its default.
func TestREADMEDocumentsEverySetting(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
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
			if tag == "" {
				continue // Config.Providers: the modules' sections, walked below
			}
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
	walk(reflect.TypeOf(config.Config{}))
	for _, m := range All {
		walk(reflect.TypeOf(m.NewSection()).Elem())
	}
}
