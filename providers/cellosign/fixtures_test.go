package cellosign_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/firmaflow/firmaflow/docstore"
	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/providers/cellosign"
	"github.com/firmaflow/firmaflow/signing"
)

const seedRef = "f51c66ba-d33a-4c59-b63a-aa270383fb9e"

func fixture(t testing.TB, name string) []byte {
	b, err := os.ReadFile(filepath.Join("testdata", "webhooks", name))
	require.NoError(t, err)
	return b
}

func newClient() *cellosign.Client {
	c, _ := cellosign.New(cellosign.Options{BaseURL: "https://app.cellosign.com/api/v3"})
	return c
}

// The seed's sample, verbatim: its "BASE64 file content" placeholder is not
// Base64, so the archive is refused as malformed (a 4xx), never a panic or
// a 5xx, and answered as CelloSign's docs ask.
func TestSeedArchiveIsRefusedAsInvalid(t *testing.T) {
	c := newClient()
	store, err := docstore.Open(context.Background(), "mem://")
	require.NoError(t, err)
	evs, err := c.Parse(context.Background(), "", nil, bytes.NewReader(fixture(t, "archive-seed.json")), store)
	require.Nil(t, evs)
	var invalid *providers.InvalidPayloadError
	require.True(t, errors.As(err, &invalid), "%v", err)
	require.Contains(t, invalid.Reason, "Base64")
	require.False(t, providers.IsRetryable(err))

	w := httptest.NewRecorder()
	c.Acknowledge(w, err)
	var ans map[string]any
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &ans))
	require.Equal(t, "-1", ans["status"])
	require.Nil(t, ans["document"])
	require.Contains(t, ans["errordesc"], "Base64")
}

// The seed with real Base64 (wrapped, with \n and \/ escapes) is accepted.
func TestValidVariantOfTheSeed(t *testing.T) {
	c := newClient()
	store, err := docstore.Open(context.Background(), "mem://")
	require.NoError(t, err)
	evs, err := c.Parse(context.Background(), "", nil, bytes.NewReader(fixture(t, "archive-valid.json")), store)
	require.NoError(t, err)
	require.Len(t, evs, 1)
	ev := evs[0]
	require.Equal(t, signing.EventCompleted, ev.Type)
	require.Equal(t, seedRef, ev.ProviderRef)
	require.Equal(t, time.Date(2022, 12, 21, 22, 29, 17, 603248000, time.UTC), ev.OccurredAt)
	require.Equal(t, signing.HashKey(cellosign.Name, []byte(seedRef+"WHP_ARCHIVE2022-12-21T22:29:17.603248")), ev.Key)
	require.Equal(t, []signing.EventDocument{
		{Kind: signing.KindSigned, Name: "SIGNEDDOCUMENT.pdf", StoredKey: "webhooks/cellosign/" + seedRef + "/00-signed-SIGNEDDOCUMENT.pdf", ContentType: "application/pdf"},
		{Kind: signing.KindAttachment, Name: "SOMEFILENAME1.png", StoredKey: "webhooks/cellosign/" + seedRef + "/01-attachment-SOMEFILENAME1.png", ContentType: "image/png"},
	}, ev.Documents)
	d, err := store.Describe(context.Background(), ev.Documents[0].StoredKey)
	require.NoError(t, err)
	require.Equal(t, int64(73), d.Size)
	require.Equal(t, "52313f377953f49e9cdb23aba0d52463bf1c91d0776146c98194ab0790908424", d.SHA256)
	a, err := store.Describe(context.Background(), ev.Documents[1].StoredKey)
	require.NoError(t, err)
	require.Equal(t, "f9d695a40bf115ba3fdd89ae588ea5113639cd4317b00811c5436759f953954c", a.SHA256)

	// Parsing the same archive again (a redelivery) yields the same key and keys.
	again, err := c.Parse(context.Background(), "", nil, bytes.NewReader(fixture(t, "archive-valid.json")), store)
	require.NoError(t, err)
	require.Equal(t, ev, again[0])
}

func TestAcknowledgeAsTheSeedAsks(t *testing.T) {
	c := newClient()
	ok := httptest.NewRecorder()
	c.Acknowledge(ok, nil)
	require.Equal(t, "application/json", ok.Header().Get("Content-Type"))
	require.JSONEq(t, `{"status":"0","document":{"reference":"","public_link":""},"errordesc":""}`, ok.Body.String())
	bad := httptest.NewRecorder()
	c.Acknowledge(bad, errors.New("store down"))
	require.JSONEq(t, `{"status":"-1","document":null,"errordesc":"store down"}`, bad.Body.String())
}

func TestInvalidArchives(t *testing.T) {
	c := newClient()
	store, err := docstore.Open(context.Background(), "mem://")
	require.NoError(t, err)
	const doc = `"signed_document":{"filename":"s.pdf","mimetype":"application/pdf","content":"JVBERi0K"}`
	for name, body := range map[string]string{
		"not json":          `not json`,
		"empty":             ``,
		"other event":       `{"event":{"type":"WHP_FIELD_CHANGE"},"reference":"r",` + doc + `}`,
		"no event":          `{"reference":"r",` + doc + `}`,
		"no reference":      `{"event":{"type":"WHP_ARCHIVE"},` + doc + `}`,
		"blank reference":   `{"event":{"type":"WHP_ARCHIVE"},"reference":"  ",` + doc + `}`,
		"no signed doc":     `{"event":{"type":"WHP_ARCHIVE"},"reference":"r"}`,
		"content not str":   `{"event":{"type":"WHP_ARCHIVE"},"reference":"r","signed_document":{"content":5}}`,
		"content empty":     `{"event":{"type":"WHP_ARCHIVE"},"reference":"r","signed_document":{"content":""}}`,
		"bad base64":        `{"event":{"type":"WHP_ARCHIVE"},"reference":"r","signed_document":{"content":"!!!!"}}`,
		"truncated base64":  `{"event":{"type":"WHP_ARCHIVE"},"reference":"r","signed_document":{"content":"JVBER"}}`,
		"truncated body":    `{"event":{"type":"WHP_ARCHIVE"},"reference":"r","signed_document":{"content":"JVBERi0K`,
		"attachment no b64": `{"event":{"type":"WHP_ARCHIVE"},"reference":"r",` + doc + `,"attachments":[{"filename":"a.png"}]}`,
		"trailing":          `{"event":{"type":"WHP_ARCHIVE"},"reference":"r",` + doc + `} {}`,
		"two contents":      `{"event":{"type":"WHP_ARCHIVE"},"reference":"r","signed_document":{"content":"JVBERi0K","content":"JVBERi0K"}}`,
		"deep":              strings.Repeat("[", 1000),
	} {
		evs, err := c.Parse(context.Background(), "", nil, strings.NewReader(body), store)
		var invalid *providers.InvalidPayloadError
		require.True(t, errors.As(err, &invalid), "%s: %v", name, err)
		require.Nil(t, evs, name)
	}
}

// Files before the reference, odd names: keys stay safe, content right.
func TestFieldOrderAndHostileNames(t *testing.T) {
	c := newClient()
	store, err := docstore.Open(context.Background(), t.TempDir())
	require.NoError(t, err)
	body := `{"signed_document":{"content":"JVBERi0K","filename":"../../etc/passwd"},"event":{"timestamp":"2024-01-02T03:04:05Z","type":"WHP_ARCHIVE"},"reference":"r/../x"}`
	evs, err := c.Parse(context.Background(), "", nil, strings.NewReader(body), store)
	require.NoError(t, err)
	key := evs[0].Documents[0].StoredKey
	require.True(t, strings.HasPrefix(key, "webhooks/cellosign/_unreferenced/"), key)
	require.NotContains(t, key, "..")
	require.Equal(t, "../../etc/passwd", evs[0].Documents[0].Name)
	require.Equal(t, time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), evs[0].OccurredAt)
	d, err := store.Describe(context.Background(), key)
	require.NoError(t, err)
	sum := sha256.Sum256([]byte("%PDF-\n"))
	require.Equal(t, hex.EncodeToString(sum[:]), d.SHA256)
}

// A body over the bridge's cap stays an *http.MaxBytesError (413).
func TestOversizedBodyKeepsMaxBytesError(t *testing.T) {
	c := newClient()
	store, _ := docstore.Open(context.Background(), "mem://")
	big := bytes.NewReader(fixture(t, "archive-valid.json"))
	body := http.MaxBytesReader(httptest.NewRecorder(), readCloser{big}, 500)
	_, err := c.Parse(context.Background(), "", nil, body, store)
	var tooBig *http.MaxBytesError
	require.True(t, errors.As(err, &tooBig), "%v", err)
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

// FuzzParseWebhook: no input panics; anything refused is an
// *InvalidPayloadError or an *http.MaxBytesError (a 4xx, never a signal);
// anything accepted is a complete event whose documents are stored.
func FuzzParseWebhook(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "webhooks", "*.json"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"event":{"type":"WHP_ARCHIVE"},"reference":"r","signed_document":{"content":"QUJD\u0041"}}`))
	f.Add([]byte(`{"event":{"type":"WHP_ARCHIVE"},"reference":"r","signed_document":{"content":"QU\/J\nD"},"attachments":[{"content":"QUJD"},null]}`))
	f.Add([]byte(`{"content":"QUJD","event":{"type":"WHP_ARCHIVE"},"reference":"r","signed_document":{"content":5}}`))
	c := newClient()
	store, err := docstore.Open(context.Background(), "mem://")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := c.Parse(context.Background(), "", nil, bytes.NewReader(body), store)
		if err != nil {
			var invalid *providers.InvalidPayloadError
			var tooBig *http.MaxBytesError
			if !errors.As(err, &invalid) && !errors.As(err, &tooBig) {
				t.Fatalf("non-validation error for client input: %v", err)
			}
			if evs != nil {
				t.Fatal("events returned with an error")
			}
			return
		}
		if len(evs) != 1 || strings.TrimSpace(evs[0].ProviderRef) == "" || evs[0].Type != signing.EventCompleted || evs[0].Key == "" ||
			len(evs[0].Documents) == 0 || evs[0].Documents[0].Kind != signing.KindSigned {
			t.Fatalf("accepted payload yields an incomplete event: %+v", evs)
		}
		for _, d := range evs[0].Documents {
			if d.StoredKey == "" {
				t.Fatalf("document without stored key: %+v", d)
			}
			if _, err := store.Describe(context.Background(), d.StoredKey); err != nil {
				t.Fatalf("announced document not stored: %v", err)
			}
		}
	})
}
