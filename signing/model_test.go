package signing

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestValidateReportsEveryProblem(t *testing.T) {
	err := Input{Signers: []Signer{{Name: "x", Email: "no-at"}}, Documents: []DocumentRef{{Name: "a"}}}.Validate()
	require.Error(t, err)
	for _, want := range []string{"process_id is required", "provider is required", "title is required", "documents[0]", "signers[0]"} {
		require.ErrorContains(t, err, want)
	}
}

func TestDefaultsAndValidInput(t *testing.T) {
	in := Input{ProcessID: "p", Provider: "arqsign", Title: "t", Documents: []DocumentRef{{Name: "a.pdf", Key: "k"}},
		Signers: []Signer{{Name: "A", Email: "a@example.com"}}}.WithDefaults()
	require.NoError(t, in.Validate())
	require.Equal(t, 30, in.ExpiresInDays)
	require.Equal(t, 1, in.Signers[0].Order)
	require.Equal(t, Duration(time.Minute), in.Resend.Backoff)
}

func TestDurationJSON(t *testing.T) {
	var p ResendPolicy
	require.NoError(t, json.Unmarshal([]byte(`{"max_resends":2,"backoff":"90s"}`), &p))
	require.Equal(t, Duration(90*time.Second), p.Backoff)
	out, _ := json.Marshal(p)
	require.JSONEq(t, `{"max_resends":2,"max_renewals":0,"backoff":"1m30s"}`, string(out))
	require.Error(t, json.Unmarshal([]byte(`{"backoff":"soon"}`), &p))
}

func TestTerminalStatuses(t *testing.T) {
	require.True(t, StatusCompleted.Terminal())
	require.True(t, StatusDeliveryFailed.Terminal())
	require.False(t, StatusAwaitingSignatures.Terminal())
	require.False(t, StatusCancelling.Terminal())
}

func TestHashKeyIsStableAndProviderScoped(t *testing.T) {
	require.Equal(t, HashKey("a", []byte("x")), HashKey("a", []byte("x")))
	require.NotEqual(t, HashKey("a", []byte("x")), HashKey("b", []byte("x")))
}
