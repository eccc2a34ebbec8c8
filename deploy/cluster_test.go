package deploy

import (
	"net"
	"os"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/firmaflow/firmaflow/internal/cluster"
	"github.com/firmaflow/firmaflow/signing"
)

// profileCompose is what this test reads of docker-compose.yml.
type profileCompose struct {
	Services map[string]struct {
		Image       string `yaml:"image"`
		Build       *struct{ Target string }
		Command     []string          `yaml:"command"`
		WorkingDir  string            `yaml:"working_dir"`
		Environment map[string]string `yaml:"environment"`
		Volumes     []string          `yaml:"volumes"`
	} `yaml:"services"`
}

// TestComposeIsTheClusterProfile checks that docker-compose.yml deploys
// what internal/cluster runs and tests: the same server configuration
// file and arguments, the same schema steps, PostgreSQL visibility, the
// namespace, and Prometheus scraping where the processes serve metrics.
func TestComposeIsTheClusterProfile(t *testing.T) {
	raw, err := os.ReadFile("../docker-compose.yml")
	require.NoError(t, err)
	var c profileCompose
	require.NoError(t, yaml.Unmarshal(raw, &c))
	dockerfile, err := os.ReadFile("Dockerfile")
	require.NoError(t, err)
	for _, name := range []string{"temporal", "temporal-schema", "temporal-setup"} {
		svc := c.Services[name]
		require.NotNil(t, svc.Build, "%s is built from tools/temporal, never a downloaded Temporal image", name)
		require.Contains(t, string(dockerfile), " AS "+svc.Build.Target+"\n", "%s: the Dockerfile has no stage %s", name, svc.Build.Target)
	}

	// The server: the same arguments and the same configuration files.
	server := c.Services["temporal"]
	require.GreaterOrEqual(t, len(server.Command), 3)
	require.Equal(t, "--root", server.Command[1])
	root := server.Command[2]
	require.Equal(t, cluster.ServerArgs(), server.Command[3:], "temporal-server's arguments")
	mounts := map[string]string{}
	for _, v := range server.Volumes {
		parts := strings.Split(v, ":")
		mounts[parts[1]] = parts[0]
	}
	configFile := path.Join(cluster.ConfigDir, cluster.ConfigEnv+".yaml")
	require.Equal(t, "./"+configFile, mounts[path.Join(root, configFile)], "the server's configuration is deploy/temporal's file")
	require.Equal(t, "./"+path.Join(cluster.ConfigDir, "dynamicconfig.yaml"), mounts[server.Environment["TEMPORAL_DYNAMIC_CONFIG"]],
		"the server's dynamic configuration is deploy/temporal's file")

	// Both render the template with variables it reads; compose sets
	// every one the profile sets, except the ports (the file's defaults).
	template, err := os.ReadFile("../" + configFile)
	require.NoError(t, err)
	read := templateVars(string(template))
	profile := cluster.ServerEnv(cluster.Ports{Base: 21000}, "/repo")
	for k := range profile {
		require.True(t, read[k], "the profile sets %s, which %s does not read", k, configFile)
		if !strings.HasSuffix(k, "_PORT") {
			require.Contains(t, server.Environment, k, "compose does not set %s, which the profile sets", k)
		}
	}
	for k := range server.Environment {
		require.True(t, read[k], "compose sets %s, which %s does not read", k, configFile)
	}

	// Persistence and visibility on compose's PostgreSQL, as rendered.
	rendered := renderConfig(t, string(template), server.Environment)
	var cfg struct {
		Persistence struct {
			DefaultStore    string `yaml:"defaultStore"`
			VisibilityStore string `yaml:"visibilityStore"`
			Datastores      map[string]struct {
				SQL *struct {
					PluginName   string `yaml:"pluginName"`
					DatabaseName string `yaml:"databaseName"`
					ConnectAddr  string `yaml:"connectAddr"`
				} `yaml:"sql"`
			} `yaml:"datastores"`
		} `yaml:"persistence"`
	}
	require.NoError(t, yaml.Unmarshal([]byte(rendered), &cfg))
	db := c.Services[server.Environment["TEMPORAL_DB_HOST"]]
	require.True(t, strings.HasPrefix(db.Image, "postgres:"), "TEMPORAL_DB_HOST names the PostgreSQL service")
	for store, name := range map[string]string{cfg.Persistence.DefaultStore: "temporal", cfg.Persistence.VisibilityStore: "temporal_visibility"} {
		sql := cfg.Persistence.Datastores[store].SQL
		require.NotNil(t, sql, "store %s is SQL", store)
		require.Equal(t, "postgres12", sql.PluginName)
		require.Equal(t, name, sql.DatabaseName)
		require.Equal(t, "postgresql:5432", sql.ConnectAddr)
	}

	// The schema steps, from the directory their relative paths need.
	schema := c.Services["temporal-schema"]
	require.Equal(t, []string{"sh", "-ec", cluster.SchemaScript("temporal-sql-tool")}, schema.Command, "compose runs internal/cluster's schema steps")
	require.Equal(t, "/temporal", schema.WorkingDir)
	require.Contains(t, string(dockerfile), `/schema" /temporal/schema`, "the admin image holds the schema at /temporal/schema")
	require.Equal(t, "postgresql", schema.Environment["SQL_HOST"])
	require.Equal(t, server.Environment["TEMPORAL_DB_USER"], schema.Environment["SQL_USER"])

	// The namespace, and the search attributes by the worker.
	require.Equal(t, []string{"sh", "-ec", cluster.NamespaceScript()}, c.Services["temporal-setup"].Command)
	require.Equal(t, "true", c.Services["worker"].Environment["FIRMAFLOW_REGISTER_SEARCH_ATTRIBUTES"], "the worker registers %v", signing.SearchAttributeNames)

	checkScrapes(t, c)
}

// checkScrapes: Prometheus scrapes each job of cluster.MetricsJobs on the
// port its compose service's setting names, and the profile sets that
// setting for its processes too.
func checkScrapes(t *testing.T, c profileCompose) {
	prom := c.Services["prometheus"]
	require.Contains(t, prom.Volumes, "./deploy/prometheus.yml:/etc/prometheus/prometheus.yml:ro")
	raw, err := os.ReadFile("prometheus.yml")
	require.NoError(t, err)
	var cfg struct {
		ScrapeConfigs []struct {
			JobName      string `yaml:"job_name"`
			DNSSDConfigs []struct {
				Names []string
				Port  int
			} `yaml:"dns_sd_configs"`
		} `yaml:"scrape_configs"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &cfg))
	var jobs, want []string
	for _, sc := range cfg.ScrapeConfigs {
		jobs = append(jobs, sc.JobName)
		setting, ok := cluster.MetricsJobs[sc.JobName]
		require.True(t, ok, "prometheus.yml scrapes %s, which the profile does not run", sc.JobName)
		require.Len(t, sc.DNSSDConfigs, 1)
		sd := sc.DNSSDConfigs[0]
		require.Equal(t, []string{sc.JobName}, sd.Names, "job %s scrapes the compose service of its name", sc.JobName)
		addr, ok := c.Services[sc.JobName].Environment[setting]
		require.True(t, ok, "compose service %s sets %s", sc.JobName, setting)
		_, port, err := net.SplitHostPort(addr)
		require.NoError(t, err)
		require.Equal(t, port, strconv.Itoa(sd.Port), "job %s scrapes the port of %s", sc.JobName, setting)
	}
	p := cluster.Ports{Base: 21000}
	profile := map[string]map[string]string{"temporal": cluster.ServerEnv(p, "/repo"), "worker": cluster.WorkerSettings(p, 0), "bridge": cluster.BridgeSettings(p, 0)}
	for job, setting := range cluster.MetricsJobs {
		want = append(want, job)
		require.Contains(t, profile[job], setting, "the profile's %s sets %s", job, setting)
	}
	sort.Strings(jobs)
	sort.Strings(want)
	require.Equal(t, want, jobs, "Prometheus scrapes every kind of process the profile runs")
}

var templateAction = regexp.MustCompile(`\{\{(.*?)\}\}`)

var envAction = regexp.MustCompile(`^\s*env "([A-Z_]+)"(?:\s*\|\s*default "([^"]*)")?(?:\s*\|\s*getHostByName)?\s*$`)

// templateVars are the environment variables the template reads.
func templateVars(tpl string) map[string]bool {
	vars := map[string]bool{}
	for _, m := range templateAction.FindAllStringSubmatch(tpl, -1) {
		if e := envAction.FindStringSubmatch(m[1]); e != nil {
			vars[e[1]] = true
		}
	}
	return vars
}

// renderConfig renders the template's `env "X" | default "d"` actions with
// env (host names stay names); any other action fails the test, so the
// file stays within what this check understands.
func renderConfig(t *testing.T, tpl string, env map[string]string) string {
	return templateAction.ReplaceAllStringFunc(tpl, func(action string) string {
		e := envAction.FindStringSubmatch(templateAction.FindStringSubmatch(action)[1])
		require.NotNil(t, e, "unexpected template action %s", action)
		if v, ok := env[e[1]]; ok {
			return v
		}
		return e[2]
	})
}
