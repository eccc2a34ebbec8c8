package config

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// testSection is a provider section as a module declares one.
type testSection struct {
	Enabled       bool          `env:"TESTPROV_ENABLED, default=true"`
	Token         string        `env:"TESTPROV_TOKEN"`
	WebhookSecret string        `env:"TESTPROV_WEBHOOK_SECRET"`
	Hosts         []string      `env:"TESTPROV_HOSTS"`
	Wait          time.Duration `env:"TESTPROV_WAIT, default=3s"`
	Limit         int64         `env:"TESTPROV_LIMIT, default=7"`
}

func (s *testSection) IsEnabled() bool { return s.Enabled }

func (s *testSection) Secrets() []Secret {
	return []Secret{
		{Env: "TESTPROV_WEBHOOK_SECRET", Value: s.WebhookSecret, RequiredBy: []Role{RoleBridge}},
		{Env: "TESTPROV_TOKEN", Value: s.Token},
	}
}

func (s *testSection) PublishedSecrets() []string { return []string{"dev-testprov-token"} }

func loadWith(t *testing.T, l mapLookuper) Config {
	t.Helper()
	c := load(t, l)
	require.NoError(t, c.LoadProviders(context.Background(), l, map[string]Section{"testprov": &testSection{}}))
	return c
}

func TestLoadProvidersFillsSectionsUnderTheirOwnVariables(t *testing.T) {
	c := loadWith(t, mapLookuper{"TESTPROV_HOSTS": "a.example,b.example", "TESTPROV_WAIT": "90s"})
	s := c.Providers["testprov"].(*testSection)
	require.True(t, s.Enabled)
	require.Equal(t, []string{"a.example", "b.example"}, s.Hosts)
	require.Equal(t, 90*time.Second, s.Wait)
	require.Equal(t, int64(7), s.Limit)

	// Variables reproduces the section: what WorkerEnv hands a worker binary.
	again := loadWith(t, mapLookuper(Variables(s)))
	require.Equal(t, s, again.Providers["testprov"])

	bad := load(t, mapLookuper{})
	require.ErrorContains(t, bad.LoadProviders(context.Background(), mapLookuper{"TESTPROV_WAIT": "soon"},
		map[string]Section{"testprov": &testSection{}}), "testprov")
}

func TestCheckSecretsTakesProviderSecretsFromTheirSections(t *testing.T) {
	err := loadWith(t, mapLookuper{}).CheckSecrets(RoleBridge)
	require.ErrorContains(t, err, "TESTPROV_WEBHOOK_SECRET is empty")
	require.NoError(t, loadWith(t, mapLookuper{}).CheckSecrets(RoleWorker), "the section requires it of the bridge only")
	require.NoError(t, loadWith(t, mapLookuper{"TESTPROV_ENABLED": "false"}).CheckSecrets(RoleBridge), "a provider turned off needs no secret")
	require.NoError(t, loadWith(t, mapLookuper{"TESTPROV_WEBHOOK_SECRET": "t-5d1c0a9b8e7f"}).CheckSecrets(RoleBridge))

	for name, value := range map[string]string{
		"TESTPROV_WEBHOOK_SECRET": "dev-testprov-token", // the section's own published value
		"TESTPROV_TOKEN":          "compose-token",
	} {
		l := mapLookuper{"TESTPROV_WEBHOOK_SECRET": "t-5d1c0a9b8e7f"}
		l[name] = value
		c := loadWith(t, l)
		require.True(t, c.IsPublishedSecret(value))
		err := c.CheckSecrets(RoleWorker)
		require.ErrorContains(t, err, name+" is a published default")
		require.NotContains(t, err.Error(), value, "the error names the variable, not its value")
	}
}
