// Package modules is the list of firmaflow's providers: one line each.
// Configuration loading, the worker, the bridge, the dev stack and the
// secret checks take their providers from here, so adding a provider is
// writing its package (a providers.Module) and adding its line.
package modules

import (
	"context"
	"fmt"

	envconfig "github.com/sethvargo/go-envconfig"

	"github.com/firmaflow/firmaflow/config"
	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/providers/arqsign"
	"github.com/firmaflow/firmaflow/providers/autosign"
	"github.com/firmaflow/firmaflow/providers/cellosign"
	"github.com/firmaflow/firmaflow/providers/contractualis"
	"github.com/firmaflow/firmaflow/simulators/arqsignsim"
	"github.com/firmaflow/firmaflow/simulators/autosignsim"
	"github.com/firmaflow/firmaflow/simulators/cellosignsim"
	"github.com/firmaflow/firmaflow/simulators/contractualissim"
)

// All are the providers firmaflow ships, each with its simulator.
var All = []providers.Module{
	arqsign.Module.WithSimulator(arqsignsim.Dev),
	autosign.Module.WithSimulator(autosignsim.Dev),
	cellosign.Module.WithSimulator(cellosignsim.Dev),
	contractualis.Module.WithSimulator(contractualissim.Dev),
}

// Load reads the whole configuration, every provider's section included,
// from the process environment.
func Load(ctx context.Context) (config.Config, error) {
	return LoadFrom(ctx, config.OSLookuper(), All)
}

// LoadFrom reads the configuration with mods' sections from l (tests use a map).
func LoadFrom(ctx context.Context, l envconfig.Lookuper, mods []providers.Module) (config.Config, error) {
	cfg, err := config.LoadFrom(ctx, l)
	if err != nil {
		return config.Config{}, err
	}
	sections := map[string]config.Section{}
	for _, m := range mods {
		if _, dup := sections[m.Name]; dup {
			return config.Config{}, fmt.Errorf("config: provider %s is listed twice", m.Name)
		}
		sections[m.Name] = m.NewSection()
	}
	if err := cfg.LoadProviders(ctx, l, sections); err != nil {
		return config.Config{}, err
	}
	return cfg, nil
}
