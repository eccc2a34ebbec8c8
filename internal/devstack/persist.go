package devstack

import (
	"fmt"
	"path/filepath"
)

// persistent is a simulator that keeps its state in a file.
type persistent interface {
	Persist(path string) error
}

// SimStatePath is where a simulator keeps its state under a state directory.
func SimStatePath(stateDir, provider string) string {
	return filepath.Join(stateDir, "simulators", provider+".json")
}

// persist makes a simulator keep its state under the stack's state
// directory (when there is one), so a restarted dev stack carries on the
// processes in flight instead of stranding them. Called before the
// simulator serves.
func (s *Stack) persist(sim persistent, provider string) error {
	if s.opts.StateDir == "" {
		return nil
	}
	if err := sim.Persist(SimStatePath(s.opts.StateDir, provider)); err != nil {
		return fmt.Errorf("devstack: %s simulator state: %w", provider, err)
	}
	return nil
}
