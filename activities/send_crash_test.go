package activities

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/firmaflow/firmaflow/docstore"
	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/providers/autosign"
	"github.com/firmaflow/firmaflow/providers/contractualis"
	"github.com/firmaflow/firmaflow/signing"
	"github.com/firmaflow/firmaflow/simulators/autosignsim"
	"github.com/firmaflow/firmaflow/simulators/contractualissim"
)

// loseAnswer lets one request whose path ends in suffix reach the provider,
// then drops the answer: the provider accepted, the activity never learns it
// (a worker killed, or a connection reset, between accept and completion).
type loseAnswer struct {
	suffix string
	mu     sync.Mutex
	lost   int
}

func (l *loseAnswer) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil || !strings.HasSuffix(req.URL.Path, l.suffix) || resp.StatusCode >= 300 {
		return resp, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lost > 0 {
		return resp, nil
	}
	l.lost++
	resp.Body.Close()
	return nil, errors.New("test: connection reset after the provider accepted")
}

func crashActivities(t *testing.T, p providers.Provider) (*Activities, *testsuite.TestActivityEnvironment, signing.Input) {
	t.Helper()
	store, err := docstore.Open(context.Background(), "mem://")
	require.NoError(t, err)
	reg := providers.NewRegistry()
	reg.Register(p, nil)
	a := &Activities{Providers: reg, Store: store}
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	_, err = store.Put(context.Background(), "inbox/c1/a.pdf", strings.NewReader("%PDF-1.4\na\n%%EOF\n"), "application/pdf")
	require.NoError(t, err)
	_, err = store.Put(context.Background(), "inbox/c1/b.pdf", strings.NewReader("%PDF-1.4\nb\n%%EOF\n"), "application/pdf")
	require.NoError(t, err)
	in := signing.Input{ProcessID: "c1", Provider: p.Name(), Title: "Crash test [sim:manual]",
		Documents: []signing.DocumentRef{{Name: "a.pdf", Key: "inbox/c1/a.pdf"}, {Name: "b.pdf", Key: "inbox/c1/b.pdf"}},
		Signers:   []signing.Signer{{Name: "Ana Souza", Email: "ana@example.com", Order: 1}}}
	return a, env, in
}

func okHooks(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }))
	t.Cleanup(srv.Close)
	return srv.URL
}

// sendTwice runs Send, which fails because the answer was lost, then its
// retry, which must succeed with the one provider process.
func sendTwice(t *testing.T, a *Activities, env *testsuite.TestActivityEnvironment, in signing.Input) string {
	t.Helper()
	_, err := env.ExecuteActivity(a.Send, in)
	require.Error(t, err, "the first attempt lost its answer")
	v, err := env.ExecuteActivity(a.Send, in)
	require.NoError(t, err)
	var out SendOutput
	require.NoError(t, v.Get(&out))
	require.NotEmpty(t, out.ProviderRef)
	return out.ProviderRef
}

func newAutosignPair(t *testing.T, lose *loseAnswer) (*autosignsim.Simulator, *autosign.Client) {
	sim := autosignsim.New(autosignsim.Options{ClientID: "cid", ClientSecret: "cs", RefreshToken: "rt", StepDelay: time.Millisecond})
	api := httptest.NewServer(sim.Handler())
	t.Cleanup(func() { api.Close(); sim.Close() })
	c, err := autosign.New(autosign.Options{BaseURL: api.URL, ClientID: "cid", ClientSecret: "cs", RefreshToken: "rt",
		WebhookURL: okHooks(t), SenderName: "Firmaflow", SenderEmail: "ops@example.com", HTTPClient: &http.Client{Transport: lose}})
	require.NoError(t, err)
	return sim, c
}

// Autosign's start accepted, answer lost: the retry finds the transaction
// started and opens no second one.
func TestAutosignSendLostAfterStartLeavesOneTransaction(t *testing.T) {
	sim, c := newAutosignPair(t, &loseAnswer{suffix: "/start"})
	a, env, in := crashActivities(t, c)
	ref := sendTwice(t, a, env, in)
	require.Equal(t, []string{ref}, sim.Processes(), "exactly one transaction at Autosign")
	v, _ := sim.Process(ref)
	require.Equal(t, autosign.StatusStarted, v.Status)
}

// A document attached but its answer lost: the retry resumes the same draft,
// adopts the attached document, and attaches only the missing one.
func TestAutosignSendResumesFromTheStepReached(t *testing.T) {
	sim, c := newAutosignPair(t, &loseAnswer{suffix: "/documents"})
	a, env, in := crashActivities(t, c)
	ref := sendTwice(t, a, env, in)
	require.Equal(t, []string{ref}, sim.Processes(), "exactly one transaction at Autosign")
	v, _ := sim.Process(ref)
	require.Equal(t, autosign.StatusStarted, v.Status)
	require.Equal(t, []string{"create", "document", "document", "update", "fields", "start"}, v.Steps,
		"each document attached once, each step taken in order")
	require.Equal(t, 2, v.Fields, "one field per signer per document")
}

// Contractualis accepted generate-document, answer lost: the retry finds
// the document through get-documents and generates no second one.
func TestContractualisSendLostAfterAcceptLeavesOneDocument(t *testing.T) {
	sim := contractualissim.New(contractualissim.Options{APIKey: "key", Email: "acct@example.com", Password: "pw",
		WebhookURL: okHooks(t), StepDelay: time.Millisecond})
	api := httptest.NewServer(sim.Handler())
	t.Cleanup(func() { api.Close(); sim.Close() })
	c, err := contractualis.New(contractualis.Options{BaseURL: api.URL, APIKey: "key", Email: "acct@example.com", Password: "pw",
		HTTPClient: &http.Client{Transport: &loseAnswer{suffix: "/generate-document"}}})
	require.NoError(t, err)
	a, env, in := crashActivities(t, c)
	ref := sendTwice(t, a, env, in)
	live := 0
	for _, p := range sim.Processes() {
		if p.Status != contractualis.StatusDeleted {
			live++
			require.Equal(t, ref, p.ID)
		}
	}
	require.Equal(t, 1, live, "exactly one live document at Contractualis")
}

// Templates attached but the answer lost: the retry adopts the template's
// document instead of instantiating the template again.
func TestAutosignSendAdoptsTemplatesAttachedBeforeALostAnswer(t *testing.T) {
	sim, c := newAutosignPair(t, &loseAnswer{suffix: "/templates"})
	a, env, in := crashActivities(t, c)
	in.Templates = []string{"tpl-1"}
	ref := sendTwice(t, a, env, in)
	require.Equal(t, []string{ref}, sim.Processes(), "exactly one transaction at Autosign")
	v, _ := sim.Process(ref)
	require.Equal(t, autosign.StatusStarted, v.Status)
	require.Equal(t, 1, v.Templates, "the template instantiated once")
	require.Equal(t, 3, v.Fields, "one field per signer on each of the three documents")
}
