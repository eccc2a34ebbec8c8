package autosignsim

import (
	"fmt"

	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/providers/autosign"
)

// Dev runs the simulator in the dev stack: the simulator half of
// autosign.Module, which the module list joins to it (this package imports
// autosign's wire types, so autosign cannot import it).
var Dev = providers.Simulator{Addr: "127.0.0.1:8093", Scenarios: Scenarios, Start: startDev}

func startDev(o providers.SimOptions) (providers.RunningSimulator, error) {
	c, ok := o.Section.(*autosign.Config)
	if !ok {
		return nil, fmt.Errorf("autosignsim: dev section is %T, not *autosign.Config", o.Section)
	}
	sim := New(Options{
		ClientID: c.ClientID, ClientSecret: c.ClientSecret, RefreshToken: c.RefreshToken,
		DefaultScenario: o.DefaultScenario, StepDelay: o.StepDelay, Logger: o.Logger, Faults: o.Faults,
	})
	if o.StatePath != "" {
		if err := sim.Persist(o.StatePath); err != nil {
			sim.Close()
			return nil, fmt.Errorf("autosignsim: state: %w", err)
		}
	}
	return sim, nil
}
