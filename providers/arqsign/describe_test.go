package arqsign_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/simulators/arqsignsim"
)

func TestDescribeNamesTheProcessAndItsSigners(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, arqsignsim.ScenarioManual)
	res, err := e.client.Send(ctx, sendRequest("Contrato de locação"))
	require.NoError(t, err)
	var d providers.Describer = e.client
	desc, err := d.Describe(ctx, res.ProviderRef)
	require.NoError(t, err)
	require.Equal(t, providers.Description{Name: "Contrato de locação", SignerEmails: []string{"ana@example.com", "bruno@example.com"}, Live: true}, desc)

	require.NoError(t, e.client.Cancel(ctx, res.ProviderRef, "withdrawn"))
	desc, err = d.Describe(ctx, res.ProviderRef)
	require.NoError(t, err)
	require.False(t, desc.Live, "a cancelled process is not taken over")
}
