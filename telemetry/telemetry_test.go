package telemetry

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"

	"github.com/firmaflow/firmaflow/config"
)

func TestExporters(t *testing.T) {
	for _, exp := range []string{"none", "stdout"} {
		shutdown, err := Setup(context.Background(), config.Telemetry{TracesExporter: exp, ServiceName: "test"}, "test")
		require.NoError(t, err, exp)
		require.NoError(t, shutdown(context.Background()))
	}
	_, err := Setup(context.Background(), config.Telemetry{TracesExporter: "carrier-pigeon"}, "test")
	require.Error(t, err)
	require.NotNil(t, otel.GetTextMapPropagator())
	i, err := TemporalInterceptors()
	require.NoError(t, err)
	require.Len(t, i, 2)
}
