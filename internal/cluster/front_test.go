package cluster

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The front hands requests to the bridges in turn, body and headers
// intact, skips a bridge that does not answer, and answers 502 with
// Retry-After (so the provider redelivers) when none does.
func TestFrontSpreadsAndSkipsADeadBridge(t *testing.T) {
	var got [2][]string
	bridge := func(i int) *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			got[i] = append(got[i], r.URL.RequestURI()+" "+r.Header.Get("X-Signature")+" "+string(body))
			w.WriteHeader(http.StatusAccepted)
		}))
	}
	b0, b1 := bridge(0), bridge(1)
	defer b0.Close()
	f := newFront([]string{b0.URL, b1.URL})
	post := func(body string) *http.Response {
		req := httptest.NewRequest(http.MethodPost, "/webhooks/arqsign?x=1", strings.NewReader(body))
		req.Header.Set("X-Signature", "sig")
		rec := httptest.NewRecorder()
		f.ServeHTTP(rec, req)
		return rec.Result()
	}
	for i := range 4 {
		require.Equal(t, http.StatusAccepted, post(string(rune('a'+i))).StatusCode)
	}
	require.Len(t, got[0], 2, "bridge 1 served every other request")
	require.Len(t, got[1], 2, "bridge 2 served every other request")
	require.Contains(t, got[0], "/webhooks/arqsign?x=1 sig b")
	require.Equal(t, int64(2), f.served[1].Load())

	b1.Close() // killed
	for range 3 {
		require.Equal(t, http.StatusAccepted, post("after").StatusCode)
	}
	require.Len(t, got[0], 5, "bridge 1 took everything once bridge 2 died")

	b0.Close()
	resp := post("none")
	require.Equal(t, http.StatusBadGateway, resp.StatusCode)
	require.Equal(t, "1", resp.Header.Get("Retry-After"))
}
