package routing

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestOwnerCacheIsBounded(t *testing.T) {
	c := newOwnerCache(3)
	for i := range 5 {
		c.put(fmt.Sprint("r", i), fmt.Sprint("o", i))
	}
	require.Equal(t, 3, c.len())
	_, ok := c.get("r0")
	require.False(t, ok, "the oldest went first")
	owner, ok := c.get("r4")
	require.True(t, ok)
	require.Equal(t, "o4", owner)
	c.put("r4", "other")
	owner, _ = c.get("r4")
	require.Equal(t, "o4", owner, "an owner never changes once known")
}

func TestRouteIDsAreInjective(t *testing.T) {
	seen := map[string][2]string{}
	for _, p := range []string{"arqsign", "a", "ab"} {
		for _, ref := range []string{"x", "b/x", "-x", "x/1", "x_1"} {
			if !ValidProviderName(p) {
				continue
			}
			id := RouteWorkflowID(p, ref)
			prev, dup := seen[id]
			require.False(t, dup, "%q and %v share %q", [2]string{p, ref}, prev, id)
			seen[id] = [2]string{p, ref}
		}
	}
	require.False(t, ValidProviderName("a/b"), "a provider name never holds the separator")
	require.False(t, ValidProviderName(""))
}
