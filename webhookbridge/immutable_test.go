package webhookbridge

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io/fs"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/firmaflow/firmaflow/docstore"
	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/providers/arqsign"
	"github.com/firmaflow/firmaflow/providers/cellosign"
	"github.com/firmaflow/firmaflow/signing"
)

// storeBridge is realBridge on a local store the test reads as well, with
// a body cap of maxBody bytes.
func storeBridge(t *testing.T, d Deliverer, maxBody int64) (*Bridge, *docstore.Store, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "docs")
	store, err := docstore.Open(context.Background(), dir)
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	reg := providers.NewRegistry()
	a, err := arqsign.New(arqsign.Options{BaseURL: "http://provider.test"})
	require.NoError(t, err)
	cs, err := cellosign.New(cellosign.Options{BaseURL: "http://provider.test"})
	require.NoError(t, err)
	reg.Register(a, a)
	reg.Register(cs, cs)
	b := New(Options{Providers: reg, Deliverer: d, Store: store, MaxBodyBytes: maxBody,
		Secrets: map[string]string{"arqsign": "hmac", "cellosign": "tok"}})
	return b, store, dir
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func arqsignCompletion(t *testing.T, ref, signed, record string) []byte {
	return fixture(t, "arqsign", "completed-base64.json", func(m map[string]any) {
		m["idProcesso"] = ref
		doc := m["documentos"].([]any)[0].(map[string]any)
		doc["base64Documento"] = b64(signed)
		doc["registroAssinaturas"].(map[string]any)["base64"] = b64(record)
	})
}

func celloArchive(t *testing.T, ref, timestamp, signed string) []byte {
	return fixture(t, "cellosign", "archive-valid.json", func(m map[string]any) {
		m["reference"] = ref
		obj(m, "event")["timestamp"] = timestamp
		obj(m, "signed_document")["content"] = b64(signed)
	})
}

// TestNoWebhookReplacesADocumentAResultRecorded: each pair of webhooks
// used to write the second one's bytes over an object the first one's
// event named (and a result recorded), so the result's sha256 no longer
// matched the store. Keys were built from the reference and file name,
// lossily ('/' became '_', references were cut at 100 bytes).
func TestNoWebhookReplacesADocumentAResultRecorded(t *testing.T) {
	prefix := strings.Repeat("r", 100)
	cases := []struct {
		name, provider string
		first, second  func(t *testing.T) []byte
	}{
		{"arqsign Base64 completion re-posted after the end", "arqsign",
			func(t *testing.T) []byte { return arqsignCompletion(t, "P-1", "%PDF- signed", "%PDF- record") },
			func(t *testing.T) []byte { return arqsignCompletion(t, "P-1", "%PDF- forged", "%PDF- forged record") }},
		{"second cellosign archive", "cellosign",
			func(t *testing.T) []byte { return celloArchive(t, "R-1", "2026-11-30T10:00:00", "%PDF- signed") },
			func(t *testing.T) []byte { return celloArchive(t, "R-1", "2026-11-30T11:00:00", "%PDF- second") }},
		{"archive for x/1 after the archive of x_1", "cellosign",
			func(t *testing.T) []byte { return celloArchive(t, "x_1", "2026-11-30T10:00:00", "%PDF- of x_1") },
			func(t *testing.T) []byte { return celloArchive(t, "x/1", "2026-11-30T10:00:00", "%PDF- of x/1") }},
		{"references sharing their first 100 bytes", "cellosign",
			func(t *testing.T) []byte { return celloArchive(t, prefix+"-one", "2026-11-30T10:00:00", "%PDF- one") },
			func(t *testing.T) []byte { return celloArchive(t, prefix+"-two", "2026-11-30T10:00:00", "%PDF- two") }},
		{"the real process's archive after an archive-only twin", "cellosign",
			// The twin took the first archive of the reference (no owner
			// yet); the process's own archive of the same reference follows.
			func(t *testing.T) []byte { return celloArchive(t, "lease-7", "2026-11-30T10:00:00", "%PDF- twin's") },
			func(t *testing.T) []byte { return celloArchive(t, "lease-7", "2026-11-30T10:00:05", "%PDF- process's") }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			d := &recordingDeliverer{}
			b, store, _ := storeBridge(t, d, 32<<20)
			rec := postProvider(t, b, tc.provider, tc.first(t))
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			require.Len(t, d.events, 1)
			var recorded []signing.StoredDocument // what the fetch would put in the result
			for _, doc := range d.events[0].Documents {
				got, err := store.Describe(ctx, doc.StoredKey)
				require.NoError(t, err)
				recorded = append(recorded, got)
			}
			d.err = ErrOwnerEnded // the first process has ended
			rec = postProvider(t, b, tc.provider, tc.second(t))
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			for _, want := range recorded {
				got, err := store.Describe(ctx, want.Key)
				require.NoError(t, err)
				require.Equal(t, want.SHA256, got.SHA256, "%s was replaced", want.Key)
			}
		})
	}
}

// files lists the files under a local store's directory.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		if !d.IsDir() {
			out = append(out, strings.TrimPrefix(p, dir))
		}
		return nil
	}))
	return out
}

// TestRefusedWebhookLeavesNothingInTheStore: documents a webhook carries
// were stored as they were parsed, and stayed when the webhook was then
// refused (an archive over the body cap kept the attachments before its
// signed document; a completion with a bad second document kept the first).
func TestRefusedWebhookLeavesNothingInTheStore(t *testing.T) {
	cases := []struct {
		name, provider string
		body           func(t *testing.T) []byte
		status         int
	}{
		{"cellosign archive over the body cap after its attachment", "cellosign", func(t *testing.T) []byte {
			return celloArchive(t, "R-1", "2026-11-30T10:00:00", "%PDF-"+strings.Repeat("x", 64<<10))
		}, http.StatusRequestEntityTooLarge},
		{"cellosign archive that is not an archive event", "cellosign", func(t *testing.T) []byte {
			return fixture(t, "cellosign", "archive-valid.json", func(m map[string]any) { obj(m, "event")["type"] = "WHP_OTHER" })
		}, http.StatusBadRequest},
		{"arqsign completion whose second document has no content", "arqsign", func(t *testing.T) []byte {
			return fixture(t, "arqsign", "completed-base64.json", func(m map[string]any) {
				docs := m["documentos"].([]any)
				m["documentos"] = append(docs, map[string]any{"nomeDocumento": "empty.pdf"})
			})
		}, http.StatusBadRequest},
		{"arqsign completion whose second document name is over its bound", "arqsign", func(t *testing.T) []byte {
			return fixture(t, "arqsign", "completed-base64.json", func(m map[string]any) {
				docs := m["documentos"].([]any)
				m["documentos"] = append(docs, map[string]any{"nomeDocumento": strings.Repeat("n", 300), "base64Documento": b64("%PDF- x")})
			})
		}, http.StatusRequestEntityTooLarge},
		{"arqsign completion for a malformed process id", "arqsign", func(t *testing.T) []byte {
			return arqsignCompletion(t, "x' OR 1=1", "%PDF- signed", "%PDF- record")
		}, http.StatusBadRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := &recordingDeliverer{}
			b, _, dir := storeBridge(t, d, 16<<10)
			rec := postProvider(t, b, tc.provider, tc.body(t))
			require.Equal(t, tc.status, rec.Code, rec.Body.String())
			require.Empty(t, d.events)
			require.Empty(t, files(t, dir), "a refused webhook leaves nothing behind")
		})
	}
}

// TestAcceptedDocumentsAreFiledByContent: an accepted webhook's documents
// are named by their SHA-256, which the event records for the fetch to
// check; no staging copy stays, and a 503 keeps only those immutable
// copies (its redelivery files the same bytes under the same keys).
func TestAcceptedDocumentsAreFiledByContent(t *testing.T) {
	for _, deliveryErr := range []error{nil, errors.New("temporal unreachable")} {
		d := &recordingDeliverer{}
		b, _, dir := storeBridge(t, d, 32<<20)
		body := arqsignCompletion(t, "P-1", "%PDF- signed", "%PDF- record")
		require.Equal(t, http.StatusOK, postProvider(t, b, "arqsign", body).Code)
		require.Len(t, d.events, 1)
		var want []string
		for i, content := range []string{"%PDF- signed", "%PDF- record"} {
			doc := d.events[0].Documents[i]
			sum := sha256.Sum256([]byte(content))
			require.Equal(t, hex.EncodeToString(sum[:]), doc.SHA256, "the event records the hash")
			require.Equal(t, docstore.ContentKey(doc.SHA256), doc.StoredKey)
			want = append(want, "/"+doc.StoredKey, "/"+doc.StoredKey+".attrs")
		}
		d.err = deliveryErr
		rec := postProvider(t, b, "arqsign", body)
		if deliveryErr != nil {
			require.Equal(t, http.StatusServiceUnavailable, rec.Code)
		}
		require.ElementsMatch(t, want, files(t, dir), "only the content-addressed copies stay")
	}
}
