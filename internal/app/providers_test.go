package app

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/firmaflow/firmaflow/internal/modules"
	"github.com/firmaflow/firmaflow/providers/arqsign"
	"github.com/firmaflow/firmaflow/providers/cellosign"
)

// TestProvidersComeFromTheModules: the registry holds the enabled sections'
// providers with their webhook secrets, and archive-only start follows the
// capability the provider's client declares from its own setting.
func TestProvidersComeFromTheModules(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg, err := modules.LoadFrom(context.Background(), mapLookuper{
		"CONTRACTUALIS_ENABLED": "false", "ARQSIGN_WEBHOOK_SECRET": "arq-secret", "CELLOSIGN_ARCHIVE_ONLY_START": "true",
	}, modules.All)
	require.NoError(t, err)
	reg, secrets, err := Providers(cfg, quiet)
	require.NoError(t, err)
	require.Equal(t, []string{"arqsign", "autosign", "cellosign"}, reg.Names())
	require.Equal(t, "arq-secret", secrets[arqsign.Name])
	require.Equal(t, map[string]bool{cellosign.Name: true}, archiveOnlyStart(reg))

	cfg, err = modules.LoadFrom(context.Background(), mapLookuper{}, modules.All)
	require.NoError(t, err)
	reg, _, err = Providers(cfg, quiet)
	require.NoError(t, err)
	require.Empty(t, archiveOnlyStart(reg), "off by default")
}
