package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/firmaflow/firmaflow/internal/fakeprovider"
	"github.com/firmaflow/firmaflow/signing"
	"github.com/firmaflow/firmaflow/starter/processes"
)

// TestAFifthProviderIsOneModule: a provider firmaflow's own packages do not
// know (internal/fakeprovider: its config section, client, webhook and
// simulator in one package), added to the stack by one line in TestMain,
// runs a whole process through the real worker, bridge and Temporal: sent,
// signed and completed by its webhooks, its signed document downloaded and
// stored with the hash the simulator served.
func TestAFifthProviderIsOneModule(t *testing.T) {
	in, wait := startOn(t, fakeprovider.Name, "sign", fastPolicy)
	res := wait()
	require.Equal(t, signing.StatusCompleted, res.Status, res.Reason)
	require.Equal(t, fakeprovider.Name, res.Provider)
	require.Len(t, res.Documents, 1)

	sim := stack.Simulators[fakeprovider.Name].(*fakeprovider.Simulator)
	pdf, ok := sim.SignedPDF(res.ProviderRef)
	require.True(t, ok, "the simulator has the process %s", res.ProviderRef)
	sum := sha256.Sum256(pdf)
	want := hex.EncodeToString(sum[:])
	require.Equal(t, want, res.Documents[0].SHA256, "the workflow's hash is what the simulator served")
	stored, err := stack.Store.Describe(context.Background(), res.Documents[0].Key)
	require.NoError(t, err)
	require.Equal(t, want, stored.SHA256, "the stored bytes are what the simulator served")

	st, err := processes.State(context.Background(), stack.Client, in.ProcessID)
	require.NoError(t, err)
	require.Len(t, st.Signers, 2)
	for _, s := range st.Signers {
		require.Equal(t, signing.SignerSigned, s.Status, s.Email)
	}

	// The bridge authenticates its webhooks with the secret its module declared.
	resp, err := http.Post(stack.BridgeURL+"/webhooks/"+fakeprovider.Name, "application/json",
		strings.NewReader(`{"id":"forged","ref":"`+res.ProviderRef+`","type":"completed"}`))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}
