package docstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPutStreamsAndHashes(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "docs")
	s, err := Open(ctx, dir)
	require.NoError(t, err)
	defer s.Close()
	content := strings.Repeat("signed pdf bytes ", 100000)
	doc, err := s.Put(ctx, "processes/p1/signed/00-a.pdf", strings.NewReader(content), "application/pdf")
	require.NoError(t, err)
	sum := sha256.Sum256([]byte(content))
	require.Equal(t, hex.EncodeToString(sum[:]), doc.SHA256)
	require.Equal(t, int64(len(content)), doc.Size)

	r, err := s.Open(ctx, doc.Key)
	require.NoError(t, err)
	got, _ := io.ReadAll(r)
	r.Close()
	require.Equal(t, content, string(got))

	again, err := s.Describe(ctx, doc.Key)
	require.NoError(t, err)
	require.Equal(t, doc.SHA256, again.SHA256)

	// Stored documents are private to the service's user.
	info, err := os.Stat(filepath.Join(dir, "processes", "p1", "signed", "00-a.pdf"))
	require.NoError(t, err)
	require.Zero(t, info.Mode().Perm()&0o077, "file mode %v", info.Mode().Perm())
	dinfo, err := os.Stat(filepath.Join(dir, "processes"))
	require.NoError(t, err)
	require.Zero(t, dinfo.Mode().Perm()&0o077, "dir mode %v", dinfo.Mode().Perm())
}

type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n > 0 {
		f.n--
		return copy(p, "partial"), nil
	}
	return 0, errors.New("connection reset")
}

func TestFailedStreamLeavesNothing(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, t.TempDir())
	require.NoError(t, err)
	_, err = s.Put(ctx, "a/b.pdf", &failingReader{n: 3}, "application/pdf")
	require.ErrorContains(t, err, "connection reset")
	_, err = s.Open(ctx, "a/b.pdf")
	require.ErrorIs(t, err, ErrNotFound)
}

func TestRejectsEscapingKeys(t *testing.T) {
	s, err := Open(context.Background(), "mem://")
	require.NoError(t, err)
	for _, k := range []string{"", "/etc/passwd", "../x", "a/../../x", "a\x00b"} {
		_, err := s.Put(context.Background(), k, strings.NewReader("x"), "")
		require.Error(t, err, "%q", k)
	}
}

func TestFileURL(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(context.Background(), "file://"+dir)
	require.NoError(t, err)
	require.Equal(t, "file://"+dir, s.URL())
	_, err = s.Size(context.Background(), "missing")
	require.ErrorIs(t, err, ErrNotFound)
}
