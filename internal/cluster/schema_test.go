package cluster

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The script compose runs is the steps, each once, with the set-up of a
// database only after creating it.
func TestSchemaScriptRunsEveryStep(t *testing.T) {
	script := SchemaScript("tool")
	for _, step := range SchemaSteps() {
		require.Equal(t, 1, strings.Count(script, "tool "+strings.Join(step.Args, " ")+";")+
			strings.Count(script, "tool "+strings.Join(step.Args, " ")+"\n"), "step %v", step.Args)
	}
	lines := strings.Split(strings.TrimSpace(script), "\n")
	require.Len(t, lines, 4)
	require.True(t, strings.HasPrefix(lines[0], "if tool --plugin postgres12 --db temporal create-database; then tool --plugin postgres12 --db temporal setup-schema -v 0.0; fi"))
	require.Contains(t, lines[3], "--db temporal_visibility update-schema -d schema/postgresql/v12/visibility/versioned")
}
