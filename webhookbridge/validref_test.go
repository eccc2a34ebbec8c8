package webhookbridge

import (
	"regexp"
	"strings"
	"testing"
)

// refOracle is the rule ValidRef implements, as a regular expression.
var refOracle = regexp.MustCompile(`^[A-Za-z0-9._:@+/=-]{1,200}$`)

func FuzzValidRef(f *testing.F) {
	for _, s := range []string{"", "a", "clsowfhnx000c3ol9gtwp3wcl", "a b", "é", "x\n", "ab+/=c", strings.Repeat("a", 200), strings.Repeat("a", 201), "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ref string) {
		if got, want := ValidRef(ref), refOracle.MatchString(ref); got != want {
			t.Fatalf("ValidRef(%q) = %v, the rule says %v", ref, got, want)
		}
	})
}
