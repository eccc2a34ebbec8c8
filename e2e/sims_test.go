package e2e

import (
	"github.com/firmaflow/firmaflow/internal/devstack"
	"github.com/firmaflow/firmaflow/providers/arqsign"
	"github.com/firmaflow/firmaflow/providers/autosign"
	"github.com/firmaflow/firmaflow/providers/cellosign"
	"github.com/firmaflow/firmaflow/providers/contractualis"
	"github.com/firmaflow/firmaflow/simulators/arqsignsim"
	"github.com/firmaflow/firmaflow/simulators/autosignsim"
	"github.com/firmaflow/firmaflow/simulators/cellosignsim"
	"github.com/firmaflow/firmaflow/simulators/contractualissim"
)

// The stack runs simulators by provider name; tests that drive one use
// its own type.

func arqsignSim(s *devstack.Stack) *arqsignsim.Simulator {
	return s.Simulators[arqsign.Name].(*arqsignsim.Simulator)
}

func autosignSim(s *devstack.Stack) *autosignsim.Simulator {
	return s.Simulators[autosign.Name].(*autosignsim.Simulator)
}

func cellosignSim(s *devstack.Stack) *cellosignsim.Simulator {
	return s.Simulators[cellosign.Name].(*cellosignsim.Simulator)
}

func contractualisSim(s *devstack.Stack) *contractualissim.Simulator {
	return s.Simulators[contractualis.Name].(*contractualissim.Simulator)
}
