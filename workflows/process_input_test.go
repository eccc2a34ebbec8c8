package workflows

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/firmaflow/firmaflow/routing"
	"github.com/firmaflow/firmaflow/signing"
)

// The bridge starts archive-only processes with routing.ArchiveInput
// (it does not import this package): its JSON must decode to the same
// ProcessInput, internal fields included.
func TestRoutingArchiveInputIsTheWorkflowsOwn(t *testing.T) {
	raw, err := json.Marshal(routing.ArchiveInput("cellosign", "REF-1"))
	require.NoError(t, err)
	var got ProcessInput
	require.NoError(t, json.Unmarshal(raw, &got))
	require.Equal(t, ProcessInput{
		Input:       signing.Input{ProcessID: "cellosign-archive-REF-1", Provider: "cellosign", Title: "cellosign archive REF-1"},
		ArchiveOnly: true, ProviderRef: "REF-1",
	}, got)
	require.True(t, got.ArchiveOnly)
	require.Equal(t, "REF-1", got.ProviderRef)
}
