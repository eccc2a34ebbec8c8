package webhookbridge

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/firmaflow/firmaflow/docstore"
)

// Uploads are capped: a body over FIRMAFLOW_API_MAX_UPLOAD_BYTES is a 413,
// announced (Content-Length) or found while streaming, and nothing of it
// stays in the store.
func TestAPIUploadsAreCapped(t *testing.T) {
	f := newAPIFixture(t)
	f.api.MaxUploadBytes = 1 << 10
	big := strings.Repeat("x", 2<<10)
	rec := f.do(http.MethodPut, "/api/v1/documents/p9/big.pdf", "application/pdf", strings.NewReader(big))
	require.Equal(t, http.StatusRequestEntityTooLarge, rec.Code, rec.Body.String())
	rec = f.do(http.MethodPut, "/api/v1/documents/p9/streamed.pdf", "application/pdf", io.MultiReader(strings.NewReader(big)))
	require.Equal(t, http.StatusRequestEntityTooLarge, rec.Code, rec.Body.String())
	for _, key := range []string{"inbox/p9/big.pdf", "inbox/p9/streamed.pdf"} {
		_, err := f.store.Size(context.Background(), key)
		require.True(t, errors.Is(err, docstore.ErrNotFound), "%s: %v", key, err)
	}
	rec = f.do(http.MethodPut, "/api/v1/documents/p9/small.pdf", "application/pdf", strings.NewReader("%PDF-1.4\n"))
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	require.JSONEq(t, `{"name":"small.pdf","key":"inbox/p9/small.pdf","content_type":"application/pdf"}`, rec.Body.String())
}

// Uploads land only under a valid process id and a plain file name, so the
// key they answer is one a start accepts.
func TestAPIUploadNamesFollowTheRules(t *testing.T) {
	f := newAPIFixture(t)
	for _, path := range []string{"/api/v1/documents/a..b/x.pdf", "/api/v1/documents/p9/..", "/api/v1/documents/p9/%2E%2E",
		"/api/v1/documents/%C3%BC/x.pdf", "/api/v1/documents/p9/a%2Fb.pdf", "/api/v1/documents/p9/" + strings.Repeat("n", 300)} {
		rec := f.do(http.MethodPut, path, "application/pdf", strings.NewReader("%PDF-1.4\n"))
		require.Equal(t, http.StatusBadRequest, rec.Code, "%s: %s", path, rec.Body)
	}
}
