package config

import (
	"context"
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
	require.Equal(t, 10000, c.Worker.WorkflowCacheSize, "the SDK's own default")
	require.Empty(t, c.Providers, "providers come from their modules (LoadProviders)")
}

func TestOverridesAndValidation(t *testing.T) {
	c, err := LoadFrom(context.Background(), mapLookuper{"FIRMAFLOW_BRIDGE_MAX_BODY_BYTES": "1024"})
	require.NoError(t, err)
	require.Equal(t, int64(1024), c.Bridge.MaxBodyBytes)
	_, err = LoadFrom(context.Background(), mapLookuper{"OTEL_TRACES_EXPORTER": "zipkin"})
	require.ErrorContains(t, err, "OTEL_TRACES_EXPORTER")
	_, err = LoadFrom(context.Background(), mapLookuper{"FIRMAFLOW_LOG_LEVEL": "loud"})
	require.ErrorContains(t, err, "FIRMAFLOW_LOG_LEVEL")
	_, err = LoadFrom(context.Background(), mapLookuper{"FIRMAFLOW_BRIDGE_MAX_BODY_BYTES": "lots"})
	require.Error(t, err)
	c, err = LoadFrom(context.Background(), mapLookuper{"FIRMAFLOW_WORKFLOW_CACHE_SIZE": "2500"})
	require.NoError(t, err)
	require.Equal(t, 2500, c.Worker.WorkflowCacheSize)
	_, err = LoadFrom(context.Background(), mapLookuper{"FIRMAFLOW_WORKFLOW_CACHE_SIZE": "0"})
	require.ErrorContains(t, err, "FIRMAFLOW_WORKFLOW_CACHE_SIZE", "a worker with no cache replays every process at every task")
	require.Equal(t, 1, c.Worker.WorkflowTaskPollers, "the default")
	c, err = LoadFrom(context.Background(), mapLookuper{"FIRMAFLOW_WORKFLOW_TASK_POLLERS": "4"})
	require.NoError(t, err)
	require.Equal(t, 4, c.Worker.WorkflowTaskPollers)
	for _, bad := range []string{"0", "101"} {
		_, err = LoadFrom(context.Background(), mapLookuper{"FIRMAFLOW_WORKFLOW_TASK_POLLERS": bad})
		require.ErrorContains(t, err, "FIRMAFLOW_WORKFLOW_TASK_POLLERS", "a worker with no poller takes no task; the SDK allows at most 100")
	}
}
