package devstack

import (
	"errors"
	"fmt"
	"net"

	"github.com/firmaflow/firmaflow/providers"
)

// checkModules refuses a module list the stack cannot run: a provider
// listed twice, or one without a simulator or dev section.
func checkModules(mods []providers.Module) error {
	seen := map[string]bool{}
	for _, m := range mods {
		switch {
		case m.Name == "":
			return errors.New("devstack: a module has no name")
		case seen[m.Name]:
			return fmt.Errorf("devstack: provider %s is listed twice", m.Name)
		case m.Simulator.Start == nil || m.DevSection == nil:
			return fmt.Errorf("devstack: provider %s has no simulator", m.Name)
		}
		seen[m.Name] = true
	}
	return nil
}

// startSimulator starts m's simulator on ln, agreeing with the provider's
// dev section on credentials and sending webhooks to the bridge.
func (s *Stack) startSimulator(m providers.Module, ln net.Listener) error {
	section, _ := s.Config.Providers[m.Name].(providers.Section)
	opts := providers.SimOptions{
		Section: section, WebhookURL: s.BridgeURL + "/webhooks/" + m.Name,
		DefaultScenario: s.opts.DefaultScenario, StepDelay: s.opts.SimStepDelay, Faults: s.opts.SimFaults,
		Logger: s.log.With("component", m.Name+"-sim"),
	}
	if s.opts.StateDir != "" {
		opts.StatePath = SimStatePath(s.opts.StateDir, m.Name)
	}
	sim, err := m.Simulator.Start(opts)
	if err != nil {
		return fmt.Errorf("devstack: %s simulator: %w", m.Name, err)
	}
	s.closers = append(s.closers, sim.Close)
	s.Simulators[m.Name] = sim
	s.serve(ln, sim.Handler())
	return nil
}
