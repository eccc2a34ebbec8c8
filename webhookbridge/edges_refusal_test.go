package webhookbridge

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// countingBody is a request body of size bytes that counts what was read.
type countingBody struct {
	left, read int64
}

func (c *countingBody) Read(p []byte) (int, error) {
	if c.left == 0 {
		return 0, io.EOF
	}
	n := min(int64(len(p)), c.left)
	for i := range p[:n] {
		p[i] = ' '
	}
	c.left -= n
	c.read += n
	return int(n), nil
}

// TestUnsignedOrOversizeBodiesAreRefusedUnread: on the signed route, a
// request with no well-formed signature, or declaring a body over the cap,
// is refused before a byte of its body is read; so is any request on a
// token route without the token. Before, the signed route read up to 32 MiB
// of every such body first.
func TestUnsignedOrOversizeBodiesAreRefusedUnread(t *testing.T) {
	const size = 40 << 20
	cases := []struct {
		name, provider string
		header         http.Header
		length         int64
		status         int
	}{
		{"arqsign without HMAC", "arqsign", http.Header{}, 1 << 20, http.StatusUnauthorized},
		{"arqsign with a malformed HMAC", "arqsign", http.Header{"Hmac": {"not-a-signature"}}, 1 << 20, http.StatusUnauthorized},
		{"arqsign over the signed cap", "arqsign", http.Header{"Hmac": {forgedHMAC}}, size, http.StatusRequestEntityTooLarge},
		{"autosign without token", "autosign", http.Header{}, size, http.StatusUnauthorized},
		{"contractualis with a wrong token", "contractualis", http.Header{TokenHeader: {"nope"}}, size, http.StatusUnauthorized},
		{"cellosign without token", "cellosign", http.Header{}, size, http.StatusUnauthorized},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := &recordingDeliverer{}
			b := realBridge(t, d)
			body := &countingBody{left: tc.length}
			req := httptest.NewRequest(http.MethodPost, "/webhooks/"+tc.provider, body)
			req.ContentLength = tc.length
			for k, v := range tc.header {
				req.Header[k] = v
			}
			rec := httptest.NewRecorder()
			b.Handler().ServeHTTP(rec, req)
			require.Equal(t, tc.status, rec.Code, rec.Body.String())
			require.Zero(t, body.read, "refused before its body is read")
			require.Empty(t, d.events)
		})
	}
}

// TestFileLessProvidersCapTheirBodiesAt1MiB: Autosign and Contractualis
// notifications carry ids and links only, so their routes take at most
// 1 MiB even from the secret's holder (the general cap is 32 MiB here).
// A declared length over it is refused unread; an undeclared one is cut
// off at the cap.
func TestFileLessProvidersCapTheirBodiesAt1MiB(t *testing.T) {
	pad := strings.Repeat("x", 2<<20)
	for _, tc := range []struct{ provider, file string }{
		{"autosign", "transaction_started.json"},
		{"contractualis", "document.signed.json"},
	} {
		body := fixture(t, tc.provider, tc.file, func(m map[string]any) { m["padding"] = pad })
		t.Run(tc.provider+" declared", func(t *testing.T) {
			d := &recordingDeliverer{}
			rec := postProvider(t, realBridge(t, d), tc.provider, body)
			require.Equal(t, http.StatusRequestEntityTooLarge, rec.Code, rec.Body.String())
			require.Empty(t, d.events)
		})
		t.Run(tc.provider+" undeclared", func(t *testing.T) {
			d := &recordingDeliverer{}
			req := httptest.NewRequest(http.MethodPost, "/webhooks/"+tc.provider, io.MultiReader(strings.NewReader(string(body))))
			req.ContentLength = -1
			req.Header.Set(TokenHeader, "tok")
			rec := httptest.NewRecorder()
			realBridge(t, d).Handler().ServeHTTP(rec, req)
			require.Equal(t, http.StatusRequestEntityTooLarge, rec.Code, rec.Body.String())
			require.Empty(t, d.events)
		})
	}
}
