package simkit

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

func TestScenarioUnknownNamesAreErrors(t *testing.T) {
	tag := regexp.MustCompile(`\[sim:([a-z-]+)\]`)
	known := []string{"sign", "reject"}
	cases := []struct {
		title, def, want string
		bad              bool
	}{
		{"Contract [sim:reject]", "sign", "reject", false},
		{"Contract", "sign", "sign", false},
		{"Contract [sim:sgin]", "sign", "", true},
		{"Contract [sim:Sign]", "sign", "", true}, // malformed tag: not a silent default
		{"Contract [sim: sign]", "sign", "", true},
		{"Contract", "sgin", "", true}, // bad default
	}
	for _, tc := range cases {
		got, _, err := Scenario(tc.title, tc.def, tag, known)
		var unknown *UnknownScenarioError
		if tc.bad {
			if !errors.As(err, &unknown) || !strings.Contains(err.Error(), "known: sign, reject") {
				t.Fatalf("%q (default %q): got %q, %v; want an error naming the known scenarios", tc.title, tc.def, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Fatalf("%q: got %q, %v; want %q", tc.title, got, err, tc.want)
		}
	}
}
