package simkit

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
)

// UnknownScenarioError: a process names a scenario the simulator does not
// play (a typo like "[sim:sgin]", or a bad default). Playing the default
// instead would let a test pass for the wrong reason.
type UnknownScenarioError struct {
	Name  string
	Known []string
}

func (e *UnknownScenarioError) Error() string {
	return fmt.Sprintf("unknown simulator scenario %q (known: %s)", e.Name, strings.Join(e.Known, ", "))
}

// CheckScenario reports an *UnknownScenarioError when name is not known.
func CheckScenario(name string, known []string) error {
	if !slices.Contains(known, name) {
		return &UnknownScenarioError{Name: name, Known: known}
	}
	return nil
}

// Scenario picks a process's scenario from its title: the tag's first
// group when tag matches, else def. A title that has "[sim:" but does not
// match the tag is malformed, and the scenario must be known. It returns
// the tag's submatches (nil without a tag) for options beyond the name.
func Scenario(title, def string, tag *regexp.Regexp, known []string) (string, []string, error) {
	m := tag.FindStringSubmatch(title)
	name := def
	switch {
	case m != nil:
		name = m[1]
	case strings.Contains(title, "[sim:"):
		i := strings.Index(title, "[sim:")
		j := strings.IndexByte(title[i:], ']')
		bad := title[i:]
		if j > 0 {
			bad = title[i : i+j+1]
		}
		return "", nil, fmt.Errorf("malformed simulator tag %q: %w", bad, &UnknownScenarioError{Name: bad, Known: known})
	}
	if err := CheckScenario(name, known); err != nil {
		return "", nil, err
	}
	return name, m, nil
}

// RefuseScenario answers a send naming an unknown scenario: 400, with the
// reason under key, where the simulated provider puts its error messages.
func RefuseScenario(w http.ResponseWriter, key string, err error) {
	WriteJSON(w, http.StatusBadRequest, map[string]string{key: err.Error()})
}
