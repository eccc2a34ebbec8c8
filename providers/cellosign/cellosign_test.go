package cellosign_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
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

const secret = "s3cret"

var pdf = []byte("%PDF-1.7\ncellosign test document\n%%EOF\n")

// receiver parses archives as the bridge does (streaming the body into its
// store) and answers with Acknowledge.
type receiver struct {
	c      *cellosign.Client
	store  *docstore.Store
	mu     sync.Mutex
	events []signing.Event
	errs   []error
	tokens []string
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	evs, err := r.c.Parse(req.Context(), "", req.Header, http.MaxBytesReader(w, req.Body, 100<<20), r.store)
	r.mu.Lock()
	r.events = append(r.events, evs...)
	r.errs = append(r.errs, err)
	r.tokens = append(r.tokens, req.Header.Get(cellosignsim.TokenHeader))
	r.mu.Unlock()
	r.c.Acknowledge(w, err)
}

func (r *receiver) waitEvent(t *testing.T) signing.Event {
	t.Helper()
	require.Eventually(t, func() bool { r.mu.Lock(); defer r.mu.Unlock(); return len(r.events) > 0 }, 60*time.Second, 5*time.Millisecond)
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.events[0]
}

type env struct {
	c   *cellosign.Client
	sim *cellosignsim.Simulator
	api *httptest.Server
	rcv *receiver
}

func setup(t *testing.T, scenario string) *env {
	store, err := docstore.Open(context.Background(), t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	sim := cellosignsim.New(cellosignsim.Options{Token: "tok", Project: "proj", WebhookSecret: secret,
		DefaultScenario: scenario, StepDelay: time.Millisecond, RetryBackoff: 5 * time.Millisecond,
		Logger: slog.New(slog.DiscardHandler)})
	api := httptest.NewServer(sim.Handler())
	t.Cleanup(func() { api.Close(); sim.Close() })
	c, err := cellosign.New(cellosign.Options{BaseURL: api.URL + "/api/v3", Token: "tok", Project: "proj"})
	require.NoError(t, err)
	rcv := &receiver{c: c, store: store}
	hook := httptest.NewServer(rcv)
	t.Cleanup(hook.Close)
	sim.SetWebhookURL(hook.URL + "/webhooks/cellosign")
	return &env{c: c, sim: sim, api: api, rcv: rcv}
}

func request(id, title string, signers int) providers.SendRequest {
	in := signing.Input{ProcessID: id, Provider: cellosign.Name, Title: title}
	for i := 0; i < signers; i++ {
		in.Signers = append(in.Signers, signing.Signer{Name: "Signer", Email: "signer@example.com", Order: i + 1})
	}
	return providers.SendRequest{Input: in, Documents: []providers.Document{{DocumentRef: signing.DocumentRef{Name: "contract.pdf", Key: "k"},
		Size: int64(len(pdf)), Open: func(context.Context) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(pdf)), nil }}}}
}

func checkArchive(t *testing.T, e *env, ref string) signing.Event {
	t.Helper()
	ev := e.rcv.waitEvent(t)
	require.Equal(t, signing.EventCompleted, ev.Type)
	require.Equal(t, ref, ev.ProviderRef, "the archive's reference is the process id")
	require.Equal(t, cellosign.Name, ev.Provider)
	require.NotEmpty(t, ev.Key)
	require.False(t, ev.OccurredAt.IsZero())
	require.Len(t, ev.Documents, 2, "signed document and one attachment")
	signed := ev.Documents[0]
	require.Equal(t, signing.KindSigned, signed.Kind)
	require.Equal(t, signing.KindAttachment, ev.Documents[1].Kind)
	require.Empty(t, signed.URL)
	require.Equal(t, "webhooks/cellosign/"+ref+"/00-signed-SIGNEDDOCUMENT.pdf", signed.StoredKey)
	d, err := e.rcv.store.Describe(context.Background(), signed.StoredKey)
	require.NoError(t, err)
	view, ok := e.sim.Process(ref)
	require.True(t, ok)
	require.Equal(t, view.SignedSHA256[0], d.SHA256, "stored bytes are what the archive carried")
	raw, _ := json.Marshal(ev)
	require.Less(t, len(raw), 2048, "the event carries references, not bytes")
	e.rcv.mu.Lock()
	require.Equal(t, secret, e.rcv.tokens[0], "the shared secret travels as X-Firmaflow-Token")
	e.rcv.mu.Unlock()
	return ev
}

func TestSessionForOneSigner(t *testing.T) {
	e := setup(t, cellosignsim.ScenarioSign)
	res, err := e.c.Send(context.Background(), request("proc-1", "Contract", 1))
	require.NoError(t, err)
	require.Equal(t, "proc-1", res.ProviderRef, "the reference is firmaflow's process id")
	checkArchive(t, e, "proc-1")
	view, _ := e.sim.Process("proc-1")
	require.Equal(t, "sessions", view.Kind)
	// The simulator counts the delivery once the receiver's answer is back,
	// which can come after the receiver saw the archive: wait for it.
	require.Eventually(t, func() bool {
		view, _ := e.sim.Process("proc-1")
		return view.ArchivesDelivered == 1
	}, 10*time.Second, 5*time.Millisecond, "one archive delivered")
	st, err := e.c.Status(context.Background(), "proc-1")
	require.NoError(t, err)
	require.Equal(t, signing.StatusCompleted, st)
}

func TestWorkflowForSeveralSigners(t *testing.T) {
	e := setup(t, cellosignsim.ScenarioSign)
	res, err := e.c.Send(context.Background(), request("proc-2", "Contract", 3))
	require.NoError(t, err)
	require.Equal(t, "proc-2", res.ProviderRef)
	checkArchive(t, e, "proc-2")
	view, _ := e.sim.Process("proc-2")
	require.Equal(t, "workflows", view.Kind)
	require.Equal(t, 3, view.Recipients)
	require.Equal(t, 3, view.Submitted, "the archive comes when all recipients submitted")
}

func TestStatusAndCancel(t *testing.T) {
	e := setup(t, cellosignsim.ScenarioManual)
	_, err := e.c.Send(context.Background(), request("proc-3", "Contract", 2))
	require.NoError(t, err)
	st, err := e.c.Status(context.Background(), "proc-3")
	require.NoError(t, err)
	require.Equal(t, signing.StatusAwaitingSignatures, st)
	require.NoError(t, e.c.Cancel(context.Background(), "proc-3", "withdrawn"))
	require.NoError(t, e.c.Cancel(context.Background(), "proc-3", "withdrawn"), "already cancelled counts as cancelled")
	st, err = e.c.Status(context.Background(), "proc-3")
	require.NoError(t, err)
	require.Equal(t, signing.StatusCancelled, st)
	view, _ := e.sim.Process("proc-3")
	require.Equal(t, 1, view.Counts.Cancels)
}

func TestCancelScenarioAndCancelAfterSubmitIsFinal(t *testing.T) {
	e := setup(t, cellosignsim.ScenarioCancel)
	_, err := e.c.Send(context.Background(), request("proc-4", "Contract", 1))
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		st, err := e.c.Status(context.Background(), "proc-4")
		return err == nil && st == signing.StatusCancelled
	}, 5*time.Second, 5*time.Millisecond)

	e2 := setup(t, cellosignsim.ScenarioSign)
	_, err = e2.c.Send(context.Background(), request("proc-5", "Contract", 1))
	require.NoError(t, err)
	e2.rcv.waitEvent(t)
	err = e2.c.Cancel(context.Background(), "proc-5", "late")
	var apiErr *providers.APIError
	require.True(t, errors.As(err, &apiErr), "%v", err)
	require.False(t, providers.IsRetryable(err))
}

func TestResendRenewUnsupported(t *testing.T) {
	c, _ := cellosign.New(cellosign.Options{BaseURL: "https://app.cellosign.com/api/v3"})
	var unsupported *providers.UnsupportedError
	require.True(t, errors.As(c.Resend(context.Background(), "r"), &unsupported))
	require.True(t, errors.As(c.Renew(context.Background(), "r", 5), &unsupported))
	require.False(t, providers.IsRetryable(c.Resend(context.Background(), "r")))
}

func TestSendIsIdempotentByReference(t *testing.T) {
	e := setup(t, cellosignsim.ScenarioManual)
	_, err := e.c.Send(context.Background(), request("proc-6", "Contract", 1))
	require.NoError(t, err)
	first, _ := e.sim.Process("proc-6")
	res, err := e.c.Send(context.Background(), request("proc-6", "Contract", 1))
	require.NoError(t, err, "a retried send finds the session it opened")
	require.Equal(t, "proc-6", res.ProviderRef)
	again, _ := e.sim.Process("proc-6")
	require.Equal(t, first.ID, again.ID)
	require.Len(t, e.sim.Processes(), 1)
}

func TestWrongTokenIsUnauthorized(t *testing.T) {
	e := setup(t, cellosignsim.ScenarioManual)
	c, _ := cellosign.New(cellosign.Options{BaseURL: e.api.URL, Token: "wrong", Project: "proj"})
	_, err := c.Send(context.Background(), request("proc-7", "Contract", 1))
	var apiErr *providers.APIError
	require.True(t, errors.As(err, &apiErr))
	require.Equal(t, http.StatusUnauthorized, apiErr.StatusCode)
	require.False(t, apiErr.Retryable())
}

func TestServerErrorsAreRetryable(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3")
		http.Error(w, "busy", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	c, _ := cellosign.New(cellosign.Options{BaseURL: srv.URL})
	_, err := c.Status(context.Background(), "r")
	var apiErr *providers.APIError
	require.True(t, errors.As(err, &apiErr))
	require.True(t, apiErr.Retryable())
	require.Equal(t, 3*time.Second, apiErr.RetryAfter)
}

func TestDownloadOnlyLinksFromAllowedHosts(t *testing.T) {
	c, _ := cellosign.New(cellosign.Options{BaseURL: "https://app.cellosign.com/api/v3"})
	_, err := c.Download(context.Background(), signing.EventDocument{Name: "s.pdf", StoredKey: "webhooks/cellosign/x"})
	require.Error(t, err)
	require.False(t, providers.IsRetryable(err))
	for _, u := range []string{"http://127.0.0.1:9/x", "http://169.254.169.254/latest", "https://evil.example/x.pdf"} {
		_, err := c.Download(context.Background(), signing.EventDocument{Name: "x", URL: u})
		require.Error(t, err, u)
		require.False(t, providers.IsRetryable(err), u)
	}
}

func TestPostArchiveOfAnOutsideProcess(t *testing.T) {
	e := setup(t, cellosignsim.ScenarioSign)
	ok, err := e.sim.PostArchive(context.Background(), "outside-1")
	require.NoError(t, err)
	require.True(t, ok)
	ev := e.rcv.waitEvent(t)
	require.Equal(t, "outside-1", ev.ProviderRef)
	d, err := e.rcv.store.Describe(context.Background(), ev.Documents[0].StoredKey)
	require.NoError(t, err)
	view, _ := e.sim.Process("outside-1")
	require.Equal(t, view.SignedSHA256[0], d.SHA256)
	// A redelivery is the same archive: same dedup key.
	ok, err = e.sim.PostArchive(context.Background(), "outside-1")
	require.NoError(t, err)
	require.True(t, ok)
	e.rcv.mu.Lock()
	require.Len(t, e.rcv.events, 2)
	require.Equal(t, e.rcv.events[0].Key, e.rcv.events[1].Key)
	e.rcv.mu.Unlock()
	// Not for processes sent through the API.
	_, err = e.c.Send(context.Background(), request("proc-8", "Contract [sim:manual]", 1))
	require.NoError(t, err)
	_, err = e.sim.PostArchive(context.Background(), "proc-8")
	require.ErrorIs(t, err, cellosignsim.ErrKnownReference)
}

// The large scenario: a ~40 MiB signed PDF (~53 MiB of Base64) goes from
// the simulator through HTTP and the parser into a directory store, with
// allocations (simulator, HTTP, parser and store together) far below it.
func TestLargeArchiveThroughTheSimulator(t *testing.T) {
	if testing.Short() {
		t.Skip("large archive")
	}
	e := setup(t, cellosignsim.ScenarioLarge)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := e.c.Send(context.Background(), request("big-1", "Large", 1))
	require.NoError(t, err)
	ev := e.rcv.waitEvent(t)
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	d, err := e.rcv.store.Describe(context.Background(), ev.Documents[0].StoredKey)
	require.NoError(t, err)
	require.Equal(t, int64(cellosignsim.DefaultLargeSize), d.Size)
	view, _ := e.sim.Process("big-1")
	require.Equal(t, view.SignedSHA256[0], d.SHA256)
	t.Logf("allocated %d KiB for a %d MiB document", alloc>>10, d.Size>>20)
	require.Less(t, alloc, uint64(d.Size/4), "nothing holds the file whole (the body is ~4/3 of the document)")
}
