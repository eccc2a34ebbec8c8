package deploy

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/firmaflow/firmaflow/config"
	"github.com/firmaflow/firmaflow/internal/modules"
	"github.com/firmaflow/firmaflow/providers/arqsign"
)

// Docker does not run here, so these tests do what Compose does with the
// files: interpolate ${...} from an environment, then merge the override
// onto the base.

var reference = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}`)

// interpolate substitutes like Compose: ${V:?msg} and ${V?msg} fail when V
// is empty (unset), ${V:-d} and ${V-d} default.
func interpolate(s string, env map[string]string) (string, error) {
	var missing []string
	out := reference.ReplaceAllStringFunc(s, func(ref string) string {
		m := reference.FindStringSubmatch(ref)
		v, set := env[m[1]]
		switch m[2] {
		case ":?":
			if v == "" {
				missing = append(missing, m[1])
			}
		case "?":
			if !set {
				missing = append(missing, m[1])
			}
		case ":-":
			if v == "" {
				return m[3]
			}
		case "-":
			if !set {
				return m[3]
			}
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("required variables missing: %s", strings.Join(missing, ", "))
	}
	return out, nil
}

func loadCompose(t *testing.T, path string, env map[string]string) (compose, error) {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	text, err := interpolate(string(raw), env)
	if err != nil {
		return compose{}, err
	}
	var c compose
	require.NoError(t, yaml.Unmarshal([]byte(text), &c))
	return c, nil
}

func readEnvFile(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	env := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		require.True(t, ok, "%s: %q", path, line)
		env[k] = v
	}
	require.NoError(t, sc.Err())
	return env
}

// secretNames are the variables that hold secrets; the deployment must
// supply every one it uses.
var secretName = regexp.MustCompile(`(SECRET|TOKEN|PASSWORD|PWD|_KEY)$`)

var devSwitches = []string{"FIRMAFLOW_ALLOW_PRIVATE_DOWNLOADS", "FIRMAFLOW_ALLOW_HTTP_CALLBACKS", "FIRMAFLOW_ALLOW_DEV_SECRETS"}

// TestComposeShipsNoSecrets: docker-compose.yml refuses to start until the
// API token, the webhook secrets and the database password are given, gives
// no secret a default, and leaves every dev switch off.
func TestComposeShipsNoSecrets(t *testing.T) {
	raw, err := os.ReadFile("../docker-compose.yml")
	require.NoError(t, err)
	var literal compose
	require.NoError(t, yaml.Unmarshal(raw, &literal))
	for name, svc := range literal.Services {
		for k, v := range svc.Environment {
			if !secretName.MatchString(k) {
				continue
			}
			m := reference.FindStringSubmatch(v)
			require.True(t, m != nil && m[0] == v, "%s: %s=%q is not a plain ${VAR...} reference", name, k, v)
			require.True(t, m[2] == ":?" || (m[2] == ":-" && m[3] == "") || m[2] == "",
				"%s: %s=%q gives a secret a default", name, k, v)
		}
		for _, sw := range devSwitches {
			require.NotContains(t, []string{"true", "1"}, strings.ToLower(svc.Environment[sw]), "%s sets %s", name, sw)
		}
		require.NotContains(t, name, "-sim", "the simulators belong in docker-compose.dev.yml")
	}

	_, err = loadCompose(t, "../docker-compose.yml", map[string]string{})
	require.Error(t, err, "compose refuses to start without secrets")
	for _, v := range []string{"FIRMAFLOW_API_TOKEN", "ARQSIGN_WEBHOOK_SECRET", "CONTRACTUALIS_WEBHOOK_SECRET",
		"AUTOSIGN_WEBHOOK_SECRET", "CELLOSIGN_WEBHOOK_SECRET", "POSTGRES_PASSWORD"} {
		require.ErrorContains(t, err, v)
	}
}

// TestComposeDevOverride: the documented development command
// (docker compose --env-file deploy/dev.env -f docker-compose.yml -f
// docker-compose.dev.yml up) has every value it needs, runs the simulators,
// and its published secrets start the worker and bridge only because the
// override turns FIRMAFLOW_ALLOW_DEV_SECRETS on.
func TestComposeDevOverride(t *testing.T) {
	dev := readEnvFile(t, "dev.env")
	all, err := modules.LoadFrom(context.Background(), mapLookuper{}, modules.All)
	require.NoError(t, err)
	for k, v := range dev {
		if secretName.MatchString(k) {
			require.True(t, all.IsPublishedSecret(v), "dev.env: %s=%q must be a published default, refused in production", k, v)
		}
	}
	base, err := loadCompose(t, "../docker-compose.yml", dev)
	require.NoError(t, err)
	override, err := loadCompose(t, "../docker-compose.dev.yml", dev)
	require.NoError(t, err)
	for _, sim := range []string{"arqsign-sim", "contractualis-sim", "autosign-sim", "cellosign-sim"} {
		require.Contains(t, override.Services, sim)
	}
	for _, role := range []struct {
		service string
		role    config.Role
	}{{"worker", config.RoleWorker}, {"bridge", config.RoleBridge}} {
		merged := map[string]string{}
		for k, v := range base.Services[role.service].Environment {
			merged[k] = v
		}
		baseOnly, err := modules.LoadFrom(context.Background(), mapLookuper(merged), modules.All)
		require.NoError(t, err)
		require.Error(t, baseOnly.CheckSecrets(role.role), "%s: dev.env's secrets without the override are refused", role.service)

		for k, v := range override.Services[role.service].Environment {
			merged[k] = v
		}
		for _, sw := range devSwitches {
			require.Equal(t, "true", merged[sw], "%s: the override turns %s on", role.service, sw)
		}
		cfg, err := modules.LoadFrom(context.Background(), mapLookuper(merged), modules.All)
		require.NoError(t, err)
		require.NoError(t, cfg.CheckSecrets(role.role), role.service)
		require.Equal(t, "http://arqsign-sim:8091", cfg.Providers[arqsign.Name].(*arqsign.Config).BaseURL, role.service)
	}
}

type mapLookuper map[string]string

func (m mapLookuper) Lookup(k string) (string, bool) { v, ok := m[k]; return v, ok }
