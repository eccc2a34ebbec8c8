package cellosign_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/firmaflow/firmaflow/docstore"
	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/providers/cellosign"
	"github.com/firmaflow/firmaflow/signing"
	"github.com/firmaflow/firmaflow/simulators/cellosignsim"
)

var pdf = []byte("%PDF-1.7\ncellosign test\n%%EOF\n")

// receiver parses archives as the bridge does, into its store.
type receiver struct {
	t      *testing.T
	c      *cellosign.Client
	store  *docstore.Store
	mu     sync.Mutex
	events []signing.Event
	token  string
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	evs, err := r.c.Parse(req.Context(), "", req.Header, req.Body, r.store)
	r.mu.Lock()
	r.events = append(r.events, evs...)
	r.token = req.Header.Get("X-Firmaflow-Token")
	r.mu.Unlock()
	r.c.Acknowledge(w, err)
}

func setup(t *testing.T, scenario string, large int) (*cellosign.Client, *cellosignsim.Simulator, *receiver) {
	store, err := docstore.Open(context.Background(), t.TempDir())
	require.NoError(t, err)
	sim := cellosignsim.New(cellosignsim.Options{Token: "tok", Project: "proj", WebhookSecret: "s3cret",
		DefaultScenario: scenario, StepDelay: time.Millisecond, LargeSize: large})
	api := httptest.NewServer(sim.Handler())
	t.Cleanup(func() { api.Close(); sim.Close() })
	c, err := cellosign.New(cellosign.Options{BaseURL: api.URL, Token: "tok", Project: "proj"})
	require.NoError(t, err)
	rcv := &receiver{t: t, c: c, store: store}
	hook := httptest.NewServer(rcv)
	t.Cleanup(hook.Close)
	sim.SetWebhookURL(hook.URL)
	return c, sim, rcv
}

func request(id, title string, signers int) providers.SendRequest {
	in := signing.Input{ProcessID: id, Provider: cellosign.Name, Title: title}
	for i := 0; i < signers; i++ {
		in.Signers = append(in.Signers, signing.Signer{Name: "S", Email: "s@example.com", Order: i + 1})
	}
	return providers.SendRequest{Input: in, Documents: []providers.Document{{DocumentRef: signing.DocumentRef{Name: "c.pdf"}, Size: int64(len(pdf)),
		Open: func(context.Context) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(pdf)), nil }}}}
}

func waitEvent(t *testing.T, r *receiver) signing.Event {
	require.Eventually(t, func() bool { r.mu.Lock(); defer r.mu.Unlock(); return len(r.events) > 0 }, 30*time.Second, 5*time.Millisecond)
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.events[0]
}

func TestSessionArchiveIsStreamedIntoTheStore(t *testing.T) {
	c, sim, rcv := setup(t, cellosignsim.ScenarioSign, 0)
	res, err := c.Send(context.Background(), request("proc-1", "Contrato", 1))
	require.NoError(t, err)
	require.Equal(t, "proc-1", res.ProviderRef, "the reference is firmaflow's process id")
	ev := waitEvent(t, rcv)
	require.Equal(t, signing.EventCompleted, ev.Type)
	require.Equal(t, "proc-1", ev.ProviderRef)
	require.Equal(t, "s3cret", rcv.token)
	require.Len(t, ev.Documents, 2, "signed document and one attachment")
	signed := ev.Documents[0]
	require.Equal(t, signing.KindSigned, signed.Kind)
	require.Empty(t, signed.URL)
	d, err := rcv.store.Describe(context.Background(), signed.StoredKey)
	require.NoError(t, err)
	view, _ := sim.Process("proc-1")
	require.Equal(t, "sessions", view.Kind)
	require.Equal(t, view.SignedSHA256[0], d.SHA256)
	raw, _ := json.Marshal(ev)
	require.Less(t, len(raw), 2048, "the event carries references, not bytes")
	st, err := c.Status(context.Background(), "proc-1")
	require.NoError(t, err)
	require.Equal(t, signing.StatusCompleted, st)
}

func TestWorkflowForSeveralSignersAndCancel(t *testing.T) {
	c, sim, _ := setup(t, cellosignsim.ScenarioManual, 0)
	_, err := c.Send(context.Background(), request("proc-2", "Contrato", 3))
	require.NoError(t, err)
	view, _ := sim.Process("proc-2")
	require.Equal(t, "workflows", view.Kind)
	require.Equal(t, 3, view.Recipients)
	require.NoError(t, c.Cancel(context.Background(), "proc-2", "withdrawn"))
	st, _ := c.Status(context.Background(), "proc-2")
	require.Equal(t, signing.StatusCancelled, st)
	var unsupported *providers.UnsupportedError
	require.True(t, errors.As(c.Resend(context.Background(), "proc-2"), &unsupported))
}

// A 40 MiB signed PDF (about 53 MiB of Base64 in the body) is stored with
// memory far below its size.
func TestLargeArchiveStreamsWithBoundedMemory(t *testing.T) {
	const size = 40 << 20
	c, sim, rcv := setup(t, cellosignsim.ScenarioLarge, size)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := c.Send(context.Background(), request("big", "Grande", 1))
	require.NoError(t, err)
	ev := waitEvent(t, rcv)
	runtime.ReadMemStats(&after)
	d, err := rcv.store.Describe(context.Background(), ev.Documents[0].StoredKey)
	require.NoError(t, err)
	require.Equal(t, int64(size), d.Size)
	view, _ := sim.Process("big")
	require.Equal(t, view.SignedSHA256[0], d.SHA256)
	// The simulator's and receiver's allocations together stay well under
	// the body's size: nothing holds the file whole.
	require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(size/2), "allocated %d bytes", after.TotalAlloc-before.TotalAlloc)
}

func TestSeedArchive(t *testing.T) {
	c, _ := cellosign.New(cellosign.Options{BaseURL: "https://app.cellosign.com/api/v3"})
	store, _ := docstore.Open(context.Background(), "mem://")
	seed, err := os.ReadFile(filepath.Join("testdata", "webhooks", "archive-seed.json"))
	require.NoError(t, err)
	// The seed's "BASE64 file content" placeholder is not Base64: refused as malformed.
	_, err = c.Parse(context.Background(), "", nil, bytes.NewReader(seed), store)
	var invalid *providers.InvalidPayloadError
	require.True(t, errors.As(err, &invalid), "%v", err)

	valid, err := os.ReadFile(filepath.Join("testdata", "webhooks", "archive-valid.json"))
	require.NoError(t, err)
	evs, err := c.Parse(context.Background(), "", nil, bytes.NewReader(valid), store)
	require.NoError(t, err)
	require.Equal(t, "f51c66ba-d33a-4c59-b63a-aa270383fb9e", evs[0].ProviderRef)
	require.Equal(t, "SIGNEDDOCUMENT.pdf", evs[0].Documents[0].Name)
	require.Equal(t, "SOMEFILENAME1.png", evs[0].Documents[1].Name)
	d, err := store.Describe(context.Background(), evs[0].Documents[0].StoredKey)
	require.NoError(t, err)
	require.Equal(t, int64(len("%PDF-1.4\nvariant signed\n%%EOF\n")), d.Size, "JSON escapes (\\/) are undone before Base64")
	require.False(t, evs[0].OccurredAt.IsZero())
}

func TestAcknowledgeAsTheSeedAsks(t *testing.T) {
	c, _ := cellosign.New(cellosign.Options{BaseURL: "https://app.cellosign.com/api/v3"})
	ok := httptest.NewRecorder()
	c.Acknowledge(ok, nil)
	var a cellosign.Answer
	require.NoError(t, json.Unmarshal(ok.Body.Bytes(), &a))
	require.Equal(t, "0", a.Status)
	require.NotNil(t, a.Document)
	bad := httptest.NewRecorder()
	c.Acknowledge(bad, errors.New("store down"))
	require.NoError(t, json.Unmarshal(bad.Body.Bytes(), &a))
	require.Equal(t, "-1", a.Status)
	require.Nil(t, a.Document)
	require.Equal(t, "store down", a.ErrorDesc)
}

func FuzzParseWebhook(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "webhooks", "*.json"))
	for _, file := range files {
		b, _ := os.ReadFile(file)
		f.Add(b)
	}
	f.Add([]byte(`{"event":{"type":"WHP_ARCHIVE"},"reference":"r","signed_document":{"content":"QUJD\u0041"}}`))
	f.Add([]byte(`{"content":"@blob:0","event":{"type":"WHP_ARCHIVE"},"reference":"r","signed_document":{"content":5}}`))
	c, _ := cellosign.New(cellosign.Options{BaseURL: "https://app.cellosign.com/api/v3"})
	store, _ := docstore.Open(context.Background(), "mem://")
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := c.Parse(context.Background(), "", nil, bytes.NewReader(body), store)
		if err != nil {
			var invalid *providers.InvalidPayloadError
			if !errors.As(err, &invalid) || evs != nil {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if len(evs) != 1 || strings.TrimSpace(evs[0].ProviderRef) == "" || len(evs[0].Documents) == 0 || evs[0].Documents[0].StoredKey == "" {
			t.Fatalf("incomplete event %+v", evs)
		}
	})
}

func TestSendIsIdempotentByReference(t *testing.T) {
	c, sim, _ := setup(t, cellosignsim.ScenarioManual, 0)
	_, err := c.Send(context.Background(), request("proc-3", "Contrato", 1))
	require.NoError(t, err)
	first, _ := sim.Process("proc-3")
	// The activity is retried after a crash: no second session.
	res, err := c.Send(context.Background(), request("proc-3", "Contrato", 1))
	require.NoError(t, err)
	require.Equal(t, "proc-3", res.ProviderRef)
	again, _ := sim.Process("proc-3")
	require.Equal(t, first.ID, again.ID)
}
