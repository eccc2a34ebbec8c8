package webhookbridge

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/mocks"

	"github.com/firmaflow/firmaflow/docstore"
	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/signing"
)

// namedProvider is a fake provider registered under a name of the test's
// choosing: the API accepts the providers the bridge serves.
type namedProvider struct {
	fakeHook
	name string
}

func (p namedProvider) Name() string { return p.name }

// apiFixture is the HTTP API on a mock Temporal client, with arqsign and
// cellosign enabled and a memory store holding p1's upload a.pdf, p2's
// upload a.pdf and p0's signed result.
type apiFixture struct {
	client  *mocks.Client
	store   *docstore.Store
	api     *API
	handler http.Handler
	// started are the inputs the API passed to Temporal.
	started []signing.Input
}

func newAPIFixture(t testing.TB) *apiFixture {
	ctx := context.Background()
	store, err := docstore.Open(ctx, "mem://")
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	for _, key := range []string{"inbox/p1/a.pdf", "inbox/p2/a.pdf", "processes/p0/signed/00-a.pdf"} {
		_, err := store.Put(ctx, key, strings.NewReader("%PDF-1.4\n"), "application/pdf")
		require.NoError(t, err)
	}
	f := &apiFixture{client: &mocks.Client{}, store: store}
	run := &mocks.WorkflowRun{}
	run.On("GetID").Return("signing-p1").Maybe()
	run.On("GetRunID").Return("R1").Maybe()
	f.client.On("ExecuteWorkflow", mock.Anything, mock.Anything, signing.WorkflowType, mock.Anything).
		Run(func(args mock.Arguments) { f.started = append(f.started, args.Get(3).(signing.Input)) }).
		Return(run, nil).Maybe()
	reg := providers.NewRegistry()
	for _, name := range []string{"arqsign", "cellosign"} {
		p := namedProvider{name: name}
		reg.Register(p, p)
	}
	f.api = &API{Client: f.client, Store: store, TaskQueue: "q", Namespace: "default", UIURL: "http://ui", Token: "tok"}
	f.handler = New(Options{Providers: reg, Deliverer: &recordingDeliverer{}, API: f.api}).Handler()
	return f
}

// do sends an authenticated request; contentType "" sends none.
func (f *apiFixture) do(method, path, contentType string, body io.Reader) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, body)
	req.Header.Set("Authorization", "Bearer tok")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, req)
	return rec
}

func (f *apiFixture) start(body string) *httptest.ResponseRecorder {
	return f.do(http.MethodPost, "/api/v1/processes", "application/json", strings.NewReader(body))
}

// validInput is a start the fixture accepts; with replaces or adds
// top-level fields ("key": value, as JSON).
func validInput(with ...string) string {
	fields := map[string]string{
		"process_id": `"p1"`, "provider": `"arqsign"`, "title": `"Lease"`,
		"documents": `[{"name":"a.pdf","key":"inbox/p1/a.pdf"}]`,
		"signers":   `[{"name":"Ana","email":"ana@example.com"}]`,
	}
	for _, kv := range with {
		k, v, _ := strings.Cut(kv, ":")
		fields[strings.Trim(k, `" `)] = v
	}
	parts := make([]string, 0, len(fields))
	for k, v := range fields {
		if v != "" {
			parts = append(parts, `"`+k+`":`+v)
		}
	}
	return "{" + strings.Join(parts, ",") + "}"
}
