package arqsignsim

import (
	"fmt"

	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/providers/arqsign"
)

// Dev runs the simulator in the dev stack: the simulator half of
// arqsign.Module, which the module list joins to it (this package imports
// arqsign's wire types, so arqsign cannot import it).
var Dev = providers.Simulator{Addr: "127.0.0.1:8091", Scenarios: Scenarios, Start: startDev}

func startDev(o providers.SimOptions) (providers.RunningSimulator, error) {
	c, ok := o.Section.(*arqsign.Config)
	if !ok {
		return nil, fmt.Errorf("arqsignsim: dev section is %T, not *arqsign.Config", o.Section)
	}
	sim := New(Options{
		AppKey: c.AppKey, SubscriptionKey: c.SubscriptionKey, WebhookURL: o.WebhookURL, WebhookSecret: c.WebhookSecret,
		DefaultScenario: o.DefaultScenario, StepDelay: o.StepDelay, Logger: o.Logger, Faults: o.Faults,
	})
	if o.StatePath != "" {
		if err := sim.Persist(o.StatePath); err != nil {
			sim.Close()
			return nil, fmt.Errorf("arqsignsim: state: %w", err)
		}
	}
	return sim, nil
}
