package contractualissim

import (
	"fmt"

	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/providers/contractualis"
)

// Dev runs the simulator in the dev stack: the simulator half of
// contractualis.Module, which the module list joins to it (this package imports
// contractualis's wire types, so contractualis cannot import it).
var Dev = providers.Simulator{Addr: "127.0.0.1:8092", Scenarios: Scenarios, Start: startDev}

func startDev(o providers.SimOptions) (providers.RunningSimulator, error) {
	c, ok := o.Section.(*contractualis.Config)
	if !ok {
		return nil, fmt.Errorf("contractualissim: dev section is %T, not *contractualis.Config", o.Section)
	}
	sim := New(Options{
		APIKey: c.APIKey, Email: c.Email, Password: c.Password, WebhookURL: o.WebhookURL, WebhookSecret: c.WebhookSecret,
		DefaultScenario: o.DefaultScenario, StepDelay: o.StepDelay, Logger: o.Logger, Faults: o.Faults,
	})
	if o.StatePath != "" {
		if err := sim.Persist(o.StatePath); err != nil {
			sim.Close()
			return nil, fmt.Errorf("contractualissim: state: %w", err)
		}
	}
	return sim, nil
}
