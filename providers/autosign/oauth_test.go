package autosign_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/firmaflow/firmaflow/docstore"
	"github.com/firmaflow/firmaflow/providers/autosign"
)

// rotatingOAuth is an Autosign token endpoint that rotates the refresh
// token on every refresh and voids the one used, and a transaction detail
// that needs a valid access token.
type rotatingOAuth struct {
	mu      sync.Mutex
	valid   string
	n       int
	access  map[string]bool
	refused int
}

func newRotatingOAuth(t *testing.T, first string) (*rotatingOAuth, string) {
	o := &rotatingOAuth{valid: first, access: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/oauth/refresh", func(w http.ResponseWriter, r *http.Request) {
		var req autosign.RefreshRequest
		json.NewDecoder(r.Body).Decode(&req)
		o.mu.Lock()
		defer o.mu.Unlock()
		if req.RefreshToken != o.valid {
			o.refused++
			http.Error(w, `{"message":"invalid_grant"}`, http.StatusUnauthorized)
			return
		}
		o.n++
		o.valid = fmt.Sprintf("rt%d", o.n)
		at := fmt.Sprintf("at%d", o.n)
		o.access[at] = true
		json.NewEncoder(w).Encode(autosign.TokenResponse{AccessToken: at, RefreshToken: o.valid, ExpiresIn: 3600})
	})
	mux.HandleFunc("GET /v1/transactions/{id}", func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		ok := o.access[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
		o.mu.Unlock()
		if !ok {
			http.Error(w, `{"message":"Unauthorized"}`, http.StatusUnauthorized)
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"id": r.PathValue("id"), "status": "started"})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return o, srv.URL
}

func oauthClient(t *testing.T, base, refresh string, store *docstore.Store) *autosign.Client {
	opts := autosign.Options{BaseURL: base, ClientID: "cid", ClientSecret: "cs", RefreshToken: refresh}
	if store != nil {
		opts.Credentials = store
	}
	c, err := autosign.New(opts)
	require.NoError(t, err)
	return c
}

// Two workers share the rotated refresh token through the store, and a
// restarted worker, configured with the long-void first token, carries on.
func TestRotatedRefreshTokenIsSharedByWorkersAndSurvivesARestart(t *testing.T) {
	ctx := context.Background()
	o, base := newRotatingOAuth(t, "rt0")
	dir := t.TempDir()
	store, err := docstore.Open(ctx, dir)
	require.NoError(t, err)

	a := oauthClient(t, base, "rt0", store)
	b := oauthClient(t, base, "rt0", store)
	_, err = a.Status(ctx, "t1") // a refreshes: rt0 -> rt1, rt0 void
	require.NoError(t, err)
	_, err = b.Status(ctx, "t1") // b must use rt1, not its configured rt0
	require.NoError(t, err, "the second worker refreshes with the token the first rotated")

	store2, err := docstore.Open(ctx, dir) // a restart: new process, same store
	require.NoError(t, err)
	restarted := oauthClient(t, base, "rt0", store2)
	_, err = restarted.Status(ctx, "t1")
	require.NoError(t, err, "a restarted worker finds the rotated token")
	require.Equal(t, 3, o.n, "three refreshes, each with the current token")

	// The token is kept private and never in the clear next to documents.
	var found []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, "refresh-token") {
			found = append(found, p)
			info, _ := d.Info()
			require.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "%s is owner-only", p)
			b, _ := os.ReadFile(p)
			require.Equal(t, "rt3", string(b))
		}
		return nil
	})
	require.Len(t, found, 1)
}

// Without a shared store, the second worker's refresh fails: the defect.
func TestWithoutAStoreTheSecondWorkerFails(t *testing.T) {
	ctx := context.Background()
	_, base := newRotatingOAuth(t, "rt0")
	a := oauthClient(t, base, "rt0", nil)
	b := oauthClient(t, base, "rt0", nil)
	_, err := a.Status(ctx, "t1")
	require.NoError(t, err)
	_, err = b.Status(ctx, "t1")
	require.Error(t, err)
}

// After the app is authorised anew (a fresh AUTOSIGN_REFRESH_TOKEN), the
// stale stored token is refused, the configured one used and stored.
func TestNewlyConfiguredTokenReplacesAStaleStoredOne(t *testing.T) {
	ctx := context.Background()
	o, base := newRotatingOAuth(t, "rt0")
	store, err := docstore.Open(ctx, "mem://")
	require.NoError(t, err)
	require.NoError(t, store.SaveCredential(ctx, "ignored", "x")) // the store is in use
	a := oauthClient(t, base, "rt0", store)
	_, err = a.Status(ctx, "t1") // rt0 -> rt1 stored
	require.NoError(t, err)
	o.mu.Lock()
	o.valid = "fresh" // re-authorisation: every earlier token void
	o.mu.Unlock()
	b := oauthClient(t, base, "fresh", store)
	_, err = b.Status(ctx, "t1")
	require.NoError(t, err)
	c := oauthClient(t, base, "rt0", store) // a worker still configured with the old token
	_, err = c.Status(ctx, "t1")
	require.NoError(t, err, "the store carries the re-authorised chain")
}
