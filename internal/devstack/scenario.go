package devstack

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/firmaflow/firmaflow/simulators/arqsignsim"
	"github.com/firmaflow/firmaflow/simulators/autosignsim"
	"github.com/firmaflow/firmaflow/simulators/cellosignsim"
	"github.com/firmaflow/firmaflow/simulators/contractualissim"
)

// checkDefaultScenario refuses a default scenario no simulator plays (a
// typo such as "sgin"): every process that names none would otherwise be
// refused by every simulator. A name some simulators lack is allowed; those
// refuse such sends with 400 naming what they know.
func checkDefaultScenario(name string) error {
	if name == "" {
		return nil
	}
	var known []string
	for _, list := range [][]string{arqsignsim.Scenarios, contractualissim.Scenarios, autosignsim.Scenarios, cellosignsim.Scenarios} {
		if slices.Contains(list, name) {
			return nil
		}
		for _, n := range list {
			if !slices.Contains(known, n) {
				known = append(known, n)
			}
		}
	}
	sort.Strings(known)
	return fmt.Errorf("devstack: unknown default scenario %q (known: %s)", name, strings.Join(known, ", "))
}
