package cellosignsim

import (
	"fmt"

	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/providers/cellosign"
)

// Dev runs the simulator in the dev stack: the simulator half of
// cellosign.Module, which the module list joins to it (this package imports
// cellosign's wire types, so cellosign cannot import it).
var Dev = providers.Simulator{Addr: "127.0.0.1:8094", Scenarios: Scenarios, Start: startDev}

func startDev(o providers.SimOptions) (providers.RunningSimulator, error) {
	c, ok := o.Section.(*cellosign.Config)
	if !ok {
		return nil, fmt.Errorf("cellosignsim: dev section is %T, not *cellosign.Config", o.Section)
	}
	sim := New(Options{
		Token: c.Token, Project: c.Project, WebhookURL: o.WebhookURL, WebhookSecret: c.WebhookSecret,
		DefaultScenario: o.DefaultScenario, StepDelay: o.StepDelay, Logger: o.Logger, Faults: o.Faults,
	})
	if o.StatePath != "" {
		if err := sim.Persist(o.StatePath); err != nil {
			sim.Close()
			return nil, fmt.Errorf("cellosignsim: state: %w", err)
		}
	}
	return sim, nil
}
