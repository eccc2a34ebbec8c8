package webhookbridge

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"

	"github.com/firmaflow/firmaflow/activities"
	"github.com/firmaflow/firmaflow/docstore"
	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/providers/arqsign"
	"github.com/firmaflow/firmaflow/providers/autosign"
	"github.com/firmaflow/firmaflow/providers/cellosign"
	"github.com/firmaflow/firmaflow/providers/contractualis"
	"github.com/firmaflow/firmaflow/signing"
)

// realBridge serves the four real providers' webhook parsers with a
// recording deliverer and a 32 MiB body cap, as deployed.
func realBridge(t *testing.T, d Deliverer) *Bridge {
	t.Helper()
	return realBridgeWithStore(t, d, "mem://")
}

func realBridgeWithStore(t *testing.T, d Deliverer, storeURL string) *Bridge {
	t.Helper()
	reg := realProviders(t)
	store, err := docstore.Open(context.Background(), storeURL)
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	return New(Options{Providers: reg, Deliverer: d, Store: store, MaxBodyBytes: 32 << 20,
		Secrets: map[string]string{"arqsign": "hmac", "contractualis": "tok", "autosign": "tok", "cellosign": "tok"}})
}

// fixture loads a provider's sample webhook and lets the test change it.
func fixture(t *testing.T, provider, name string, edit func(m map[string]any)) []byte {
	t.Helper()
	raw, err := os.ReadFile("../providers/" + provider + "/testdata/webhooks/" + name)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(providers.StripTrailingCommas(raw), &m))
	edit(m)
	out, err := json.Marshal(m)
	require.NoError(t, err)
	return out
}

func obj(m map[string]any, path ...string) map[string]any {
	for _, p := range path {
		m = m[p].(map[string]any)
	}
	return m
}

func postProvider(t *testing.T, b *Bridge, provider string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/webhooks/"+provider, strings.NewReader(string(body)))
	if provider == "arqsign" {
		req.Header.Set("HMAC", arqsign.Sign(body, "hmac"))
	} else {
		req.Header.Set(TokenHeader, "tok")
	}
	rec := httptest.NewRecorder()
	b.Handler().ServeHTTP(rec, req)
	return rec
}

// TestOversizeEventFieldsAreRefusedFinally: every provider's route refuses
// an event with a field over its bound with a 4xx (never 503: a redelivery
// would carry the same field) and signals nothing. Without bounds a 1.5 MB
// Autosign event id was signalled and wedged its process.
func TestOversizeEventFieldsAreRefusedFinally(t *testing.T) {
	huge := strings.Repeat("x", 1536<<10)
	long := func(n int) string { return strings.Repeat("y", n) }
	cases := []struct {
		name, provider string
		body           []byte
		status         int
	}{
		{"autosign 1.5 MB event id", "autosign", fixture(t, "autosign", "transaction_rejected.json", func(m map[string]any) {
			m["id"] = huge
		}), http.StatusRequestEntityTooLarge},
		{"autosign rejection reason", "autosign", fixture(t, "autosign", "transaction_rejected.json", func(m map[string]any) {
			obj(m, "data")["rejected_reason"] = long(signing.MaxEventReasonBytes + 1)
		}), http.StatusRequestEntityTooLarge},
		{"autosign signer name", "autosign", fixture(t, "autosign", "recipient_submitted.json", func(m map[string]any) {
			obj(m, "data", "recipient")["name"] = long(signing.MaxSignerNameBytes + 1)
		}), http.StatusRequestEntityTooLarge},
		{"autosign sealed document name", "autosign", fixture(t, "autosign", "transaction_completed.json", func(m map[string]any) {
			m["data"].(map[string]any)["sealed_documents"].([]any)[0].(map[string]any)["name"] = long(signing.MaxDocumentNameBytes + 1)
		}), http.StatusRequestEntityTooLarge},
		{"contractualis signer email", "contractualis", fixture(t, "contractualis", "document.signed.json", func(m map[string]any) {
			obj(m, "data", "signer")["email"] = long(signing.MaxSignerEmailBytes) + "@x.test"
		}), http.StatusRequestEntityTooLarge},
		{"contractualis document id", "contractualis", fixture(t, "contractualis", "document.signed.json", func(m map[string]any) {
			obj(m, "data")["document_id"] = long(signing.MaxEventProviderRefBytes + 1)
		}), http.StatusRequestEntityTooLarge},
		{"contractualis document url", "contractualis", fixture(t, "contractualis", "document.completed.json", func(m map[string]any) {
			doc := obj(m, "data", "document")
			delete(doc, "nom151")
			delete(doc, "certificate")
			delete(doc, "audittrail")
			doc["url"] = "https://docs.test/" + long(signing.MaxDocumentURLBytes)
		}), http.StatusRequestEntityTooLarge},
		{"arqsign rejection reason", "arqsign", fixture(t, "arqsign", "rejected.json", func(m map[string]any) {
			m["signatarios"].([]any)[1].(map[string]any)["motivoRecusa"] = long(signing.MaxEventReasonBytes + 1)
		}), http.StatusRequestEntityTooLarge},
		{"arqsign 3 MB process id", "arqsign", fixture(t, "arqsign", "rejected.json", func(m map[string]any) {
			m["idProcesso"] = long(3 << 20)
		}), http.StatusRequestEntityTooLarge},
		{"arqsign Base64 document name", "arqsign", fixture(t, "arqsign", "completed-base64.json", func(m map[string]any) {
			m["documentos"].([]any)[0].(map[string]any)["nomeDocumento"] = long(4000) + ".pdf"
		}), http.StatusRequestEntityTooLarge},
		{"arqsign too many documents", "arqsign", fixture(t, "arqsign", "completed-links.json", func(m map[string]any) {
			docs := m["documentos"].([]any)
			for len(docs) <= signing.MaxEventDocuments {
				docs = append(docs, docs[0])
			}
			m["documentos"] = docs
		}), http.StatusRequestEntityTooLarge},
		{"cellosign file name", "cellosign", fixture(t, "cellosign", "archive-valid.json", func(m map[string]any) {
			obj(m, "signed_document")["filename"] = long(signing.MaxDocumentNameBytes + 1)
		}), http.StatusRequestEntityTooLarge},
		{"cellosign reference", "cellosign", fixture(t, "cellosign", "archive-valid.json", func(m map[string]any) {
			m["reference"] = long(100 << 10)
		}), http.StatusRequestEntityTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := &recordingDeliverer{}
			rec := postProvider(t, realBridge(t, d), tc.provider, tc.body)
			require.Equal(t, tc.status, rec.Code, rec.Body.String())
			require.Empty(t, d.events, "nothing is signalled")
			if tc.provider == "cellosign" {
				require.Contains(t, rec.Body.String(), `"status":"-1"`, "CelloSign's own refusal body")
			}
		})
	}
}

// TestFixturesWithinBoundsAreDelivered guards the bounds against being so
// tight that real notifications are refused.
func TestFixturesWithinBoundsAreDelivered(t *testing.T) {
	for provider, name := range map[string]string{"autosign": "transaction_rejected.json", "contractualis": "document.completed.json",
		"arqsign": "completed-base64.json", "cellosign": "archive-valid.json"} {
		d := &recordingDeliverer{}
		rec := postProvider(t, realBridge(t, d), provider, fixture(t, provider, name, func(m map[string]any) {
			if provider == "contractualis" { // the manual's sample has placeholders for links
				m["data"].(map[string]any)["document"] = map[string]any{"name": "Contrato", "url": "https://docs.test/c.pdf"}
			}
		}))
		require.Equal(t, http.StatusOK, rec.Code, provider+": "+rec.Body.String())
		require.Len(t, d.events, 1, provider)
	}
}

// TestTemporalRefusalIsNot503: a signal Temporal refuses as invalid (e.g.
// over its blob size limit) is refused the same way on every redelivery, so
// it is answered 4xx, not 503 forever.
func TestTemporalRefusalIsNot503(t *testing.T) {
	d := &recordingDeliverer{err: serviceerror.NewInvalidArgument("Blob data size exceeds limit.")}
	rec := post(t, newTestBridge(d), "/webhooks/fake", "s3cret", `{"ref":"P1","type":"completed"}`)
	require.Equal(t, http.StatusBadRequest, rec.Code, rec.Body.String())
	require.Empty(t, rec.Header().Get("Retry-After"))
}

// TestDelivererRefusesOversizeEvents: the deliverer checks the bounds too,
// before it touches Temporal (its client is nil here).
func TestDelivererRefusesOversizeEvents(t *testing.T) {
	d := &TemporalDeliverer{}
	err := d.Deliver(context.Background(), signing.Event{Key: strings.Repeat("k", 3<<20), Provider: "autosign", ProviderRef: "r1"})
	var tooLarge *signing.EventTooLargeError
	require.ErrorAs(t, err, &tooLarge)
	status, final := finalStatus(err)
	require.True(t, final)
	require.Equal(t, http.StatusRequestEntityTooLarge, status)
}

// TestLongNamesWithinBoundsAreStored: a document name within its bound
// (255 bytes) still makes a valid file name in a directory store. It used
// to become a path segment over the file system's 255-byte limit: a store
// error, answered 503 forever.
func TestLongNamesWithinBoundsAreStored(t *testing.T) {
	d := &recordingDeliverer{}
	name := strings.Repeat("n", signing.MaxDocumentNameBytes-4) + ".pdf"
	body := fixture(t, "arqsign", "completed-base64.json", func(m map[string]any) {
		m["documentos"].([]any)[0].(map[string]any)["nomeDocumento"] = name
	})
	rec := postProvider(t, realBridgeWithStore(t, d, t.TempDir()), "arqsign", body)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.Len(t, d.events, 1)
	require.Equal(t, name, d.events[0].Documents[0].Name, "the event keeps the full name")
}

// TestDocumentKeysFitAFileName: the longest name an event may carry still
// makes a stored document's file name within 255 bytes.
func TestDocumentKeysFitAFileName(t *testing.T) {
	name := strings.Repeat("n", signing.MaxDocumentNameBytes)
	for _, kind := range []signing.DocumentKind{signing.KindSigned, signing.KindSignatureRecord, signing.KindAuditTrail} {
		key := activities.DocumentKey("p1", 99, signing.EventDocument{Kind: kind, Name: name})
		require.LessOrEqual(t, len(path.Base(key)), 255, key)
	}
}

// realProviders registers the four real providers' clients and webhook
// parsers (pointed nowhere: webhook tests never call their APIs).
func realProviders(t testing.TB) *providers.Registry {
	t.Helper()
	reg := providers.NewRegistry()
	base := "http://provider.test"
	a, err := arqsign.New(arqsign.Options{BaseURL: base})
	require.NoError(t, err)
	c, err := contractualis.New(contractualis.Options{BaseURL: base})
	require.NoError(t, err)
	s, err := autosign.New(autosign.Options{BaseURL: base})
	require.NoError(t, err)
	cs, err := cellosign.New(cellosign.Options{BaseURL: base})
	require.NoError(t, err)
	reg.Register(a, a)
	reg.Register(c, c)
	reg.Register(s, s)
	reg.Register(cs, cs)
	return reg
}
