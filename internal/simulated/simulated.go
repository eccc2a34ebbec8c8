// Package simulated gives tests the dev stack's simulators by their own types
// (the stack keeps them by provider name).
package simulated

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

// ArqSIGN is the stack's ArqSIGN simulator.
func ArqSIGN(s *devstack.Stack) *arqsignsim.Simulator {
	return s.Simulators[arqsign.Name].(*arqsignsim.Simulator)
}

// Autosign is the stack's Autosign simulator.
func Autosign(s *devstack.Stack) *autosignsim.Simulator {
	return s.Simulators[autosign.Name].(*autosignsim.Simulator)
}

// CelloSign is the stack's CelloSign simulator.
func CelloSign(s *devstack.Stack) *cellosignsim.Simulator {
	return s.Simulators[cellosign.Name].(*cellosignsim.Simulator)
}

// Contractualis is the stack's Contractualis simulator.
func Contractualis(s *devstack.Stack) *contractualissim.Simulator {
	return s.Simulators[contractualis.Name].(*contractualissim.Simulator)
}
