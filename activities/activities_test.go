package activities

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/firmaflow/firmaflow/docstore"
	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/signing"
)

// fakeProvider records calls and serves fixed documents.
type fakeProvider struct {
	sent      []providers.SendRequest
	sentBytes []string
	err       error
	downloads int
}

func (f *fakeProvider) Name() string { return "fake" }
func (f *fakeProvider) Send(ctx context.Context, req providers.SendRequest) (providers.SendResult, error) {
	f.sent = append(f.sent, req)
	for _, d := range req.Documents {
		r, err := d.Open(ctx)
		if err != nil {
			return providers.SendResult{}, err
		}
		b, _ := io.ReadAll(r)
		r.Close()
		f.sentBytes = append(f.sentBytes, string(b))
	}
	return providers.SendResult{ProviderRef: "REF"}, f.err
}
func (f *fakeProvider) Resend(context.Context, string) error         { return f.err }
func (f *fakeProvider) Renew(context.Context, string, int) error     { return f.err }
func (f *fakeProvider) Cancel(context.Context, string, string) error { return f.err }
func (f *fakeProvider) Status(context.Context, string) (signing.Status, error) {
	return signing.StatusAwaitingSignatures, nil
}
func (f *fakeProvider) Download(_ context.Context, d signing.EventDocument) (io.ReadCloser, error) {
	f.downloads++
	return io.NopCloser(strings.NewReader("signed:" + d.URL)), f.err
}

func newActivities(t *testing.T) (*Activities, *fakeProvider, *testsuite.TestActivityEnvironment) {
	store, err := docstore.Open(context.Background(), "mem://")
	require.NoError(t, err)
	p := &fakeProvider{}
	reg := providers.NewRegistry()
	reg.Register(p, nil)
	a := &Activities{Providers: reg, Store: store}
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	return a, p, env
}

func TestSendStreamsStoredDocuments(t *testing.T) {
	a, p, env := newActivities(t)
	_, err := a.Store.Put(context.Background(), "inbox/p/a.pdf", strings.NewReader("%PDF a"), "application/pdf")
	require.NoError(t, err)
	in := signing.Input{ProcessID: "p", Provider: "fake", Documents: []signing.DocumentRef{{Name: "a.pdf", Key: "inbox/p/a.pdf"}}}
	v, err := env.ExecuteActivity(a.Send, in)
	require.NoError(t, err)
	var out SendOutput
	require.NoError(t, v.Get(&out))
	require.Equal(t, "REF", out.ProviderRef)
	require.Equal(t, []string{"%PDF a"}, p.sentBytes)
	require.Equal(t, int64(6), p.sent[0].Documents[0].Size)
}

func TestSendMissingDocumentIsFinal(t *testing.T) {
	a, _, env := newActivities(t)
	_, err := env.ExecuteActivity(a.Send, signing.Input{Provider: "fake", Documents: []signing.DocumentRef{{Name: "x", Key: "nope"}}})
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr))
	require.True(t, appErr.NonRetryable())
	require.Equal(t, ErrTypeDocument, appErr.Type())
}

func TestUnknownProviderIsFinal(t *testing.T) {
	a, _, env := newActivities(t)
	_, err := env.ExecuteActivity(a.Resend, ProviderCall{Provider: "nobody", ProviderRef: "R"})
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr))
	require.True(t, appErr.NonRetryable())
}

func TestProviderErrorsAreClassified(t *testing.T) {
	final := classify(&providers.APIError{Provider: "p", Op: "resend", StatusCode: 422, Message: "Documento concluído."})
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(final, &appErr))
	require.True(t, appErr.NonRetryable())
	require.Contains(t, appErr.Error(), "Documento concluído.")

	busy := classify(&providers.APIError{Provider: "p", Op: "resend", StatusCode: 429, RetryAfter: 42 * time.Second})
	require.True(t, errors.As(busy, &appErr))
	require.False(t, appErr.NonRetryable())
	require.Equal(t, 42*time.Second, appErr.NextRetryDelay())
}

func TestFetchDownloadsLinksAndVerifiesStoredOnes(t *testing.T) {
	a, p, env := newActivities(t)
	pre, err := a.Store.Put(context.Background(), "webhooks/fake/R/00-signed-a.pdf", strings.NewReader("inline bytes"), "application/pdf")
	require.NoError(t, err)
	in := FetchInput{ProcessID: "p/1", Provider: "fake", ProviderRef: "R", Documents: []signing.EventDocument{
		{Kind: signing.KindSigned, Name: "../../a.pdf", URL: "https://x/a", ContentType: "text/plain"},
		{Kind: signing.KindSignatureRecord, Name: "rec.pdf", StoredKey: pre.Key},
	}}
	v, err := env.ExecuteActivity(a.FetchDocuments, in)
	require.NoError(t, err)
	var docs []signing.StoredDocument
	require.NoError(t, v.Get(&docs))
	require.Len(t, docs, 2)
	require.Equal(t, 1, p.downloads, "only the linked document is downloaded")
	require.Equal(t, "documents/p%2F1/signed/00-%2E%2E%2F.%2E%2Fa.pdf", docs[0].Key, "names cannot escape the process folder")
	require.Equal(t, int64(len("signed:https://x/a")), docs[0].Size)
	require.Equal(t, pre.SHA256, docs[1].SHA256)
	require.Equal(t, signing.KindSignatureRecord, docs[1].Kind)
}

func TestFetchRefusesAPDFThatIsNot(t *testing.T) {
	a, _, env := newActivities(t)
	_, err := env.ExecuteActivity(a.FetchDocuments, FetchInput{ProcessID: "p", Provider: "fake", ProviderRef: "R",
		Documents: []signing.EventDocument{{Kind: signing.KindSigned, Name: "a.pdf", URL: "https://x/a", ContentType: "application/pdf"}}})
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr))
	require.True(t, appErr.NonRetryable())
	require.Contains(t, appErr.Error(), "not a PDF")
}

func TestFetchRetryDoesNotDownloadTwice(t *testing.T) {
	a, p, env := newActivities(t)
	in := FetchInput{ProcessID: "p", Provider: "fake", ProviderRef: "R",
		Documents: []signing.EventDocument{{Kind: signing.KindSigned, Name: "a.pdf", URL: "https://x/a"}}}
	_, err := env.ExecuteActivity(a.FetchDocuments, in)
	require.NoError(t, err)
	v, err := env.ExecuteActivity(a.FetchDocuments, in) // a retry after a crash
	require.NoError(t, err)
	var docs []signing.StoredDocument
	require.NoError(t, v.Get(&docs))
	require.Equal(t, 1, p.downloads)
	require.Equal(t, int64(len("signed:https://x/a")), docs[0].Size)
}
