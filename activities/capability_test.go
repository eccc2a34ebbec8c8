package activities

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/firmaflow/firmaflow/callbacks"
	"github.com/firmaflow/firmaflow/docstore"
	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/signing"
)

// downloadingProvider downloads through the real providers.Downloader.
type downloadingProvider struct {
	fakeProvider
	download providers.Downloader
}

func (p *downloadingProvider) Download(ctx context.Context, d signing.EventDocument) (io.ReadCloser, error) {
	return p.download.Open(ctx, p.Name(), d.URL, nil)
}

// presignedSecrets are the parts of presignedURL that must never leave the
// activity: the signature, the credential and the userinfo.
var presignedSecrets = []string{"X-Amz", "deadbeef", "AKIAEXAMPLE", "alice", "s3cr3t-pw"}

func presignedURL(t *testing.T) (raw, host string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	host = ln.Addr().String()
	ln.Close() // nothing listens: the download fails in transport
	return "http://alice:s3cr3t-pw@" + host + "/signed.pdf?X-Amz-Signature=deadbeef&X-Amz-Credential=AKIAEXAMPLE", host
}

// requireNoSecrets checks the activity error as the workflow (history,
// state, result, callback) and the logs get it: every message in its chain.
func requireNoSecrets(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err)
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "%T", err)
	for e := err; e != nil; e = errors.Unwrap(e) {
		for _, s := range presignedSecrets {
			require.NotContains(t, e.Error(), s)
			require.NotContains(t, fmt.Sprintf("%+v", e), s)
		}
	}
}

func TestDownloadErrorsCarryNoCapabilityURL(t *testing.T) {
	raw, host := presignedURL(t)
	store, err := docstore.Open(context.Background(), "mem://")
	require.NoError(t, err)
	for _, allowPrivate := range []bool{true, false} { // transport error; refused at dial time
		reg := providers.NewRegistry()
		reg.Register(&downloadingProvider{download: providers.Downloader{AllowedHosts: []string{host}, AllowPrivate: allowPrivate}}, nil)
		a := &Activities{Providers: reg, Store: store}
		var s testsuite.WorkflowTestSuite
		env := s.NewTestActivityEnvironment()
		env.RegisterActivity(a)
		_, err = env.ExecuteActivity(a.FetchDocuments, FetchInput{ProcessID: "p", Provider: "fake", ProviderRef: "R",
			Documents: []signing.EventDocument{{Kind: signing.KindSigned, Name: "signed.pdf", URL: raw, ContentType: "application/pdf"}}})
		requireNoSecrets(t, err)
		require.ErrorContains(t, err, "/signed.pdf", "the error still names the document's path")
	}
}

func TestCallbackErrorsCarryNoCapabilityURL(t *testing.T) {
	raw, host := presignedURL(t)
	secret, err := callbacks.ParseSecret("whsec_" + base64.StdEncoding.EncodeToString([]byte("callback-secret-0123456789")))
	require.NoError(t, err)
	a, _, env := newActivities(t)
	u, _ := url.Parse(raw)
	for name, cfg := range map[string]Callbacks{
		"host not listed": {Secret: secret, Hosts: []string{"hooks.example.com"}, AllowPrivate: true, AllowHTTP: true},
		"transport error": {Secret: secret, Hosts: []string{u.Host}, AllowPrivate: true, AllowHTTP: true},
		"refused at dial": {Secret: secret, Hosts: []string{host}, AllowHTTP: true},
	} {
		t.Run(name, func(t *testing.T) {
			a.Callbacks = cfg
			_, err := env.ExecuteActivity(a.NotifyCallback, CallbackInput{URL: raw, WorkflowID: "w"})
			requireNoSecrets(t, err)
		})
	}
}
