// Package deploy holds the container build and the checks that keep
// docker-compose.yml in step with the code, since Docker cannot run here.
package deploy

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/firmaflow/firmaflow/config"
	"github.com/firmaflow/firmaflow/internal/modules"
)

type compose struct {
	Services map[string]struct {
		Image       string                                        `yaml:"image"`
		Build       *struct{ Context, Dockerfile, Target string } `yaml:"build"`
		Command     []string                                      `yaml:"command"`
		Environment map[string]string                             `yaml:"environment"`
		Volumes     []string                                      `yaml:"volumes"`
	} `yaml:"services"`
}

func configVars() map[string]bool {
	vars := map[string]bool{"OTEL_EXPORTER_OTLP_ENDPOINT": true} // read by the OTLP exporter itself
	var walk func(reflect.Type)
	walk = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Type.Kind() == reflect.Struct {
				walk(f.Type)
				continue
			}
			if name, _, _ := strings.Cut(f.Tag.Get("env"), ","); name != "" {
				vars[name] = true
			}
		}
	}
	walk(reflect.TypeOf(config.Config{}))
	for _, m := range modules.All {
		walk(reflect.TypeOf(m.NewSection()).Elem())
	}
	return vars
}

func TestComposeMatchesTheCode(t *testing.T) {
	c := checkComposeFile(t, "../docker-compose.yml")
	for _, want := range []string{"temporal", "temporal-schema", "temporal-setup", "temporal-ui", "postgresql", "worker", "bridge", "otel-collector", "prometheus"} {
		require.Contains(t, c.Services, want)
	}
	require.Equal(t, "temporal:7233", c.Services["worker"].Environment["TEMPORAL_ADDRESS"])
	checkComposeFile(t, "../docker-compose.dev.yml")
}

// checkComposeFile checks that every firmaflow service of a compose file
// runs a binary the Dockerfile builds, sets only variables firmaflow reads,
// and mounts files that exist.
func checkComposeFile(t *testing.T, path string) compose {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var c compose
	require.NoError(t, yaml.Unmarshal(raw, &c))
	binaries := map[string]string{
		"/usr/local/bin/worker": "../worker", "/usr/local/bin/webhookbridge": "../cmd/webhookbridge",
		"/usr/local/bin/simulator": "../cmd/simulator",
	}
	dockerfile, err := os.ReadFile("Dockerfile")
	require.NoError(t, err)
	vars := configVars()
	for name, svc := range c.Services {
		if svc.Build != nil && svc.Build.Target != "" {
			// A Temporal stage (cluster_test.go checks those services).
			require.Contains(t, string(dockerfile), " AS "+svc.Build.Target+"\n", name)
			continue
		}
		if svc.Build != nil {
			require.FileExists(t, filepath.Join("..", svc.Build.Dockerfile), name)
			require.NotEmpty(t, svc.Command, name)
			dir, ok := binaries[svc.Command[0]]
			require.True(t, ok, "%s runs an unknown binary %s", name, svc.Command[0])
			require.FileExists(t, filepath.Join(dir, "main.go"))
			require.Contains(t, string(dockerfile), "/out/"+filepath.Base(svc.Command[0]), "Dockerfile builds %s", svc.Command[0])
		}
		if svc.Build != nil || name == "worker" || name == "bridge" { // an override adds only environment
			for k := range svc.Environment {
				if k == "<<" {
					continue
				}
				require.True(t, vars[k], "%s sets %s, which firmaflow does not read", name, k)
			}
		}
		for _, v := range svc.Volumes {
			if host, _, ok := strings.Cut(v, ":"); ok && strings.HasPrefix(host, "./") {
				require.FileExists(t, filepath.Join("..", host), "%s mounts a missing file", name)
			}
		}
	}
	return c
}
