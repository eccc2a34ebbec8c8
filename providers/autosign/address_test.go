package autosign

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Each transaction's notification endpoint carries its process id, and
// the webhook posted there is addressed to that process directly.
func TestNotificationEndpointAddressesTheProcess(t *testing.T) {
	base := "https://bridge.example/webhooks/autosign?token=s%26cret"
	got := notificationEndpoint(base, "lease-2026.07_a")
	u, err := url.Parse(got)
	require.NoError(t, err)
	require.Equal(t, "/webhooks/autosign/process/lease-2026.07_a", u.Path)
	require.Equal(t, "s&cret", u.Query().Get("token"), "the token stays where Autosign sends it")

	sub := strings.TrimPrefix(u.Path, "/webhooks/autosign/")
	c := &Client{}
	body := `{"id":"evt_1","type":"recipient_submitted","created":"2026-11-30T10:00:00Z","data":{"id":"tx_1","recipient":{"name":"Ana","email":"ana@example.com"}}}`
	evs, err := c.Parse(context.Background(), sub, http.Header{}, strings.NewReader(body), nil)
	require.NoError(t, err)
	require.Len(t, evs, 1)
	require.Equal(t, "lease-2026.07_a", evs[0].ProcessID)
	require.Equal(t, "tx_1", evs[0].ProviderRef)

	evs, err = c.Parse(context.Background(), "", http.Header{}, strings.NewReader(body), nil)
	require.NoError(t, err)
	require.Empty(t, evs[0].ProcessID, "the account's endpoint addresses by reference")
	require.Equal(t, base, notificationEndpoint(base, ""))
	require.Empty(t, processIDFromSubpath("process/a/b"))
}
