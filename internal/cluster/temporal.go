package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/firmaflow/firmaflow/internal/app"
	"github.com/firmaflow/firmaflow/internal/devserver"
	"github.com/firmaflow/firmaflow/signing"
)

// The server's configuration: one template for this profile and
// docker-compose.yml (ConfigDir/ConfigEnv.yaml, rendered by the server).
const (
	ConfigDir = "deploy/temporal"
	ConfigEnv = "postgres"
	Namespace = "default"
	// Retention of closed workflows in Namespace.
	Retention  = 72 * time.Hour
	serverArgs = "--config " + ConfigDir + " --env " + ConfigEnv + " --allow-no-auth start"
)

// ServerArgs are temporal-server's arguments, run from the repository root.
func ServerArgs() []string { return strings.Fields(serverArgs) }

// ServerEnv is the environment that renders the server's configuration
// for this profile (the variables deploy/temporal/postgres.yaml reads).
func ServerEnv(p Ports, root string) map[string]string {
	port := func(off int) string { return strconv.Itoa(p.at(off)) }
	return map[string]string{
		"TEMPORAL_DB_HOST": "127.0.0.1", "TEMPORAL_DB_PORT": port(offPostgres),
		"TEMPORAL_DB_USER": dbUser, "TEMPORAL_DB_PASSWORD": dbPassword,
		"TEMPORAL_BIND_IP": "127.0.0.1", "TEMPORAL_BROADCAST_HOST": "127.0.0.1",
		"TEMPORAL_FRONTEND_PORT": port(offFrontend), "TEMPORAL_FRONTEND_MEMBERSHIP_PORT": port(offFrontendMembership),
		"TEMPORAL_FRONTEND_HTTP_PORT": port(offFrontendHTTP),
		"TEMPORAL_HISTORY_PORT":       port(offHistory), "TEMPORAL_HISTORY_MEMBERSHIP_PORT": port(offHistoryMembership),
		"TEMPORAL_MATCHING_PORT": port(offMatching), "TEMPORAL_MATCHING_MEMBERSHIP_PORT": port(offMatchingMembership),
		"TEMPORAL_WORKER_PORT": port(offTemporalWorker), "TEMPORAL_WORKER_MEMBERSHIP_PORT": port(offTemporalWorkerMembership),
		"TEMPORAL_METRICS_ADDR":   p.ServerMetrics(),
		"TEMPORAL_DYNAMIC_CONFIG": filepath.Join(root, ConfigDir, "dynamicconfig.yaml"),
	}
}

// NamespaceScript registers Namespace with the Temporal CLI (its address
// from TEMPORAL_ADDRESS), as docker-compose.yml's temporal-setup service
// runs it; this profile does the same through the API (prepareNamespace).
// The search attributes are the worker's to add there
// (FIRMAFLOW_REGISTER_SEARCH_ATTRIBUTES).
func NamespaceScript() string {
	return fmt.Sprintf("temporal operator namespace describe --namespace %[1]s || temporal operator namespace create --namespace %[1]s --retention %[2]dh\n",
		Namespace, int(Retention.Hours()))
}

// MetricsJobs are the jobs Prometheus scrapes in docker-compose.yml, each
// with the setting that says where its processes serve /metrics; this
// profile sets the same (ServerEnv, WorkerSettings, BridgeSettings).
var MetricsJobs = map[string]string{
	"temporal": "TEMPORAL_METRICS_ADDR", "worker": "FIRMAFLOW_WORKER_METRICS_ADDR", "bridge": "FIRMAFLOW_BRIDGE_ADDR",
}

// serverModuleDir is the pinned Temporal server module's source (its
// schema directories), from the module cache.
func serverModuleDir(ctx context.Context) (string, error) {
	tools, err := devserver.ToolsDir()
	if err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Dir}}", "go.temporal.io/server")
	cmd.Dir = tools
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("cluster: locate go.temporal.io/server: %w", err)
	}
	dir := strings.TrimSpace(string(out))
	if dir == "" {
		return "", errors.New("cluster: go.temporal.io/server is not in the module cache (run go mod download in tools/temporal)")
	}
	return dir, nil
}

// startServer runs the real Temporal server (all four services in one
// process) from the repository root.
func startServer(ctx context.Context, bin, root string, p Ports, logs io.Writer) (*devserver.Server, error) {
	env := os.Environ()
	for k, v := range ServerEnv(p, root) {
		env = append(env, k+"="+v)
	}
	args := append([]string{"--root", root}, ServerArgs()...)
	return devserver.StartProcess(ctx, devserver.Process{
		Bin: bin, Args: args, Env: env, HostPort: p.Frontend(), Namespace: Namespace, Logs: logs,
		// Four services joining their ring and the shards' first load take
		// a while on two busy cores.
		ReadyWithin: 5 * time.Minute,
	})
}

// prepareNamespace registers the namespace and firmaflow's search
// attributes, and waits until a visibility query naming them succeeds
// (the real server starts without either).
func prepareNamespace(ctx context.Context, hostPort string) error {
	c, err := client.DialContext(ctx, client.Options{HostPort: hostPort, Namespace: Namespace})
	if err != nil {
		return fmt.Errorf("cluster: dial Temporal: %w", err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	return poll(ctx, func() error {
		_, err := c.WorkflowService().RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
			Namespace: Namespace, WorkflowExecutionRetentionPeriod: durationpb.New(Retention),
		})
		var exists *serviceerror.NamespaceAlreadyExists
		if err != nil && !errors.As(err, &exists) {
			return fmt.Errorf("register namespace: %w", err)
		}
		if err := app.EnsureSearchAttributes(ctx, c, Namespace); err != nil {
			return err
		}
		var q []string
		for _, name := range signing.SearchAttributeNames {
			q = append(q, name+" = 'x'")
		}
		_, err = c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: Namespace, Query: strings.Join(q, " AND "), PageSize: 1,
		})
		return err
	})
}

// poll repeats f until it succeeds or ctx ends.
func poll(ctx context.Context, f func() error) error {
	for {
		err := f()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cluster: %w (last: %v)", ctx.Err(), err)
		case <-time.After(500 * time.Millisecond):
		}
	}
}
