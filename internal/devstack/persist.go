package devstack

import "path/filepath"

// SimStatePath is where a simulator keeps its state under a state
// directory, so a restarted dev stack carries on the processes in flight
// instead of stranding them.
func SimStatePath(stateDir, provider string) string {
	return filepath.Join(stateDir, "simulators", provider+".json")
}
