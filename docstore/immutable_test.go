package docstore

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func keys(t *testing.T, s *Store) []string {
	t.Helper()
	var out []string
	it := s.bucket.List(nil)
	for {
		o, err := it.Next(context.Background())
		if err == io.EOF {
			return out
		}
		require.NoError(t, err)
		out = append(out, o.Key)
	}
}

func read(t *testing.T, s *Store, key string) string {
	t.Helper()
	r, err := s.Open(context.Background(), key)
	require.NoError(t, err)
	defer r.Close()
	b, err := io.ReadAll(r)
	require.NoError(t, err)
	return string(b)
}

func TestPutNewNeverReplaces(t *testing.T) {
	for _, url := range []string{"mem://", t.TempDir()} {
		ctx := context.Background()
		s, err := Open(ctx, url)
		require.NoError(t, err)
		first, err := s.PutNew(ctx, "processes/p/signed/00-a.pdf", strings.NewReader("first"), "application/pdf")
		require.NoError(t, err)
		_, err = s.PutNew(ctx, "processes/p/signed/00-a.pdf", strings.NewReader("second"), "application/pdf")
		require.ErrorIs(t, err, ErrExists, url)
		require.Equal(t, "first", read(t, s, first.Key), url)
		require.Equal(t, []string{"processes/p/signed/00-a.pdf"}, keys(t, s), url)
		s.Close()
	}
}

func TestStagingDiscardLeavesNothing(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, t.TempDir())
	require.NoError(t, err)
	defer s.Close()
	st := s.Stage()
	for _, body := range []string{"one", "two"} {
		_, err := st.Put(ctx, "webhooks/x/r/00-signed-a.pdf", strings.NewReader(body), "application/pdf")
		require.NoError(t, err)
	}
	_, err = st.Put(ctx, "webhooks/x/r/01-signed-b.pdf", &failingReader{n: 2}, "application/pdf")
	require.Error(t, err)
	require.Len(t, keys(t, s), 2, "two staged, the failed stream left nothing")
	require.NoError(t, st.Discard(ctx))
	require.Empty(t, keys(t, s))
}

func TestPromoteFilesByContent(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, t.TempDir())
	require.NoError(t, err)
	defer s.Close()
	st := s.Stage()
	a, err := st.Put(ctx, "webhooks/x/r/00-signed-a.pdf", strings.NewReader("%PDF- a"), "application/pdf")
	require.NoError(t, err)
	staged, ok := st.Staged(a.Key)
	require.True(t, ok)
	require.Equal(t, a.SHA256, staged.SHA256)
	require.NoError(t, st.Promote(ctx))
	require.NoError(t, st.Discard(ctx))
	require.Equal(t, []string{ContentKey(a.SHA256)}, keys(t, s), "only the content-addressed copy stays")
	require.Equal(t, "%PDF- a", read(t, s, ContentKey(a.SHA256)))

	// The same bytes again (a redelivery): promoted to the same key, kept.
	again := s.Stage()
	_, err = again.Put(ctx, "webhooks/x/r/00-signed-a.pdf", strings.NewReader("%PDF- a"), "application/pdf")
	require.NoError(t, err)
	require.NoError(t, again.Promote(ctx))
	require.NoError(t, again.Discard(ctx))
	require.Equal(t, []string{ContentKey(a.SHA256)}, keys(t, s))
}

func TestWriteOfOtherBytesThanPromisedLeavesNothing(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, t.TempDir())
	require.NoError(t, err)
	defer s.Close()
	_, err = s.write(ctx, ContentKey(strings.Repeat("0", 64)), strings.NewReader("x"), "", writeOptions{ifNotExist: true, wantSHA256: strings.Repeat("0", 64)})
	require.ErrorContains(t, err, "hash")
	require.Empty(t, keys(t, s))
}

// A bridge killed mid-request leaves its staged objects; the sweep at the
// next start removes those older than the given age and nothing else.
func TestSweepStagingRemovesOnlyOldStagedObjects(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, t.TempDir())
	require.NoError(t, err)
	defer s.Close()
	_, err = s.Put(ctx, "documents/p/signed/00-a.pdf", strings.NewReader("result"), "")
	require.NoError(t, err)
	_, err = s.Stage().Put(ctx, "x", strings.NewReader("left by a crash"), "")
	require.NoError(t, err)

	n, err := s.SweepStaging(ctx, time.Hour)
	require.NoError(t, err)
	require.Zero(t, n, "a young staged object may belong to a request in flight")
	n, err = s.SweepStaging(ctx, -time.Second)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Equal(t, []string{"documents/p/signed/00-a.pdf"}, keys(t, s))
}
