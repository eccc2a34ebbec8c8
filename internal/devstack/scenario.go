package devstack

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/firmaflow/firmaflow/providers"
)

// checkDefaultScenario refuses a default scenario no simulator plays (a
// typo such as "sgin"): every process that names none would otherwise be
// refused by every simulator. A name some simulators lack is allowed; those
// refuse such sends with 400 naming what they know.
func checkDefaultScenario(mods []providers.Module, name string) error {
	if name == "" {
		return nil
	}
	var known []string
	for _, m := range mods {
		if slices.Contains(m.Simulator.Scenarios, name) {
			return nil
		}
		for _, n := range m.Simulator.Scenarios {
			if !slices.Contains(known, n) {
				known = append(known, n)
			}
		}
	}
	sort.Strings(known)
	return fmt.Errorf("devstack: unknown default scenario %q (known: %s)", name, strings.Join(known, ", "))
}
