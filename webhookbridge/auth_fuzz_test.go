package webhookbridge

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/providers/arqsign"
)

// What the fuzz harness itself adds to a fuzzed request (mode % 3).
const (
	credentialNone     = iota // only what the fuzzer put in headers and URL
	credentialCorrect         // the provider's secret, as the provider presents it
	credentialNearMiss        // almost the secret, or a signature of another body
)

// The four targets fuzz what an attacker reaches on each provider's route:
// the whole bridge, with fuzzed headers, query, subpath and body. Whatever
// the input: no panic; nothing accepted (2xx) and nothing delivered unless
// the harness presented the secret, which the fuzzer never sees; and a
// request refused on its headers (a token route without its token, the
// signed route without a well-formed signature) has none of its body read.
func FuzzArqSIGNWebhookAuth(f *testing.F)       { fuzzWebhookAuth(f, "arqsign") }
func FuzzAutosignWebhookAuth(f *testing.F)      { fuzzWebhookAuth(f, "autosign") }
func FuzzContractualisWebhookAuth(f *testing.F) { fuzzWebhookAuth(f, "contractualis") }
func FuzzCelloSignWebhookAuth(f *testing.F)     { fuzzWebhookAuth(f, "cellosign") }

func fuzzWebhookAuth(f *testing.F, provider string) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		f.Fatal(err)
	}
	secret := hex.EncodeToString(raw)
	d := &recordingDeliverer{}
	b := edgeBridge(f, Options{Deliverer: d, Secrets: map[string]string{provider: secret},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), MaxBodyBytes: 4 << 20, MaxSignedBodyBytes: 1 << 20})
	hook, _ := b.opts.Providers.Webhook(provider)
	signed, isSigned := hook.(providers.SignedWebhook)

	files, _ := filepath.Glob(filepath.Join("..", "providers", provider, "testdata", "webhooks", "*.json"))
	for _, file := range files {
		body, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		for mode := range uint8(9) {
			f.Add("", "", "", "", "", "", body, mode)
		}
		f.Add("HMAC", forgedHMAC, TokenHeader, "guess", "token=guess", "completion", body, uint8(credentialNone))
		f.Add("Authorization", "Bearer guess", "Content-Type", "application/json", "token=", "", body, uint8(credentialNearMiss))
		f.Add(TokenHeader, "", "HMAC", "", "token=a&token=b", "monitoring/x", body, uint8(credentialCorrect+3))
	}

	f.Fuzz(func(t *testing.T, name1, value1, name2, value2, query, subpath string, body []byte, mode uint8) {
		d.mu.Lock()
		d.events = nil
		d.mu.Unlock()
		counted := &countingReader{r: bytes.NewReader(body)}
		req := httptest.NewRequest(http.MethodPost, "/webhooks/"+provider, counted)
		req.URL.Path += "/" + subpath
		req.URL.RawQuery = query
		req.ContentLength = int64(len(body))
		if mode&0x10 != 0 {
			req.ContentLength = -1
		}
		for _, h := range [][2]string{{name1, value1}, {name2, value2}} {
			if h[0] != "" {
				req.Header.Add(h[0], h[1])
			}
		}
		credential := mode % 3
		present(req, provider, secret, body, credential, (mode/3)%3)

		rec := httptest.NewRecorder()
		b.Handler().ServeHTTP(rec, req)

		if rec.Code == http.StatusInternalServerError {
			t.Fatalf("500 (a recovered panic): %s", rec.Body)
		}
		d.mu.Lock()
		delivered := len(d.events)
		d.mu.Unlock()
		if credential == credentialCorrect {
			return
		}
		if rec.Code/100 == 2 || delivered > 0 {
			t.Fatalf("accepted without the secret: %d, %d events delivered", rec.Code, delivered)
		}
		refusedOnHeaders := !isSigned || !signed.HasSignature(req.Header)
		if refusedOnHeaders && counted.read > 0 {
			t.Fatalf("refused on its headers (%d) after reading %d bytes of its body", rec.Code, counted.read)
		}
	})
}

// present adds the credential the harness chose, the way the provider
// presents it: ArqSIGN signs the body; the others send the token in a
// header, a bearer authorization or the URL (where).
func present(req *http.Request, provider, secret string, body []byte, credential, where uint8) {
	token := secret
	switch credential {
	case credentialNone:
		return
	case credentialNearMiss:
		// The secret with its last character changed; for a signature, the
		// right key over a different body.
		token = secret[:len(secret)-1] + "x"
		body = append(bytes.Clone(body), ' ')
	}
	if provider == arqsign.Name {
		req.Header.Set("HMAC", arqsign.Sign(body, secret))
		return
	}
	switch where {
	case 0:
		req.Header.Set(TokenHeader, token)
	case 1:
		req.Header.Set("Authorization", "Bearer "+token)
	default:
		if req.URL.RawQuery != "" {
			req.URL.RawQuery += "&"
		}
		req.URL.RawQuery += "token=" + token
	}
}

// countingReader counts the bytes read from r.
type countingReader struct {
	r    io.Reader
	read int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read += n
	return n, err
}
