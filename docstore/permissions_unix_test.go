//go:build unix

package docstore

import (
	"context"
	"io/fs"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestEveryStoredFileIsPrivateWhateverItsKey: fileblob escapes some bytes
// of a key in the file's name (control characters, "//", a trailing "/").
// Permissions used to be fixed on the unescaped path afterwards, which did
// not exist, so such a document stayed 0644 under a 0022 umask.
func TestEveryStoredFileIsPrivateWhateverItsKey(t *testing.T) {
	old := syscall.Umask(0o022) // the usual umask, whatever the test runner's
	defer syscall.Umask(old)
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "docs")
	s, err := Open(ctx, dir)
	require.NoError(t, err)
	defer s.Close()
	for _, key := range []string{
		"processes/p/signed/00-a\x01b.pdf",
		"webhooks/x/\ttab.pdf",
		"inbox/p//double-slash.pdf",
		"inbox/p/plain.pdf",
	} {
		_, err := s.Put(ctx, key, strings.NewReader("%PDF- secret"), "application/pdf")
		require.NoError(t, err, "%q", key)
	}
	files := 0
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		info, err := d.Info()
		require.NoError(t, err)
		if d.IsDir() {
			require.Zero(t, info.Mode().Perm()&0o077, "directory %s is %v", p, info.Mode().Perm())
			return nil
		}
		files++
		require.Zero(t, info.Mode().Perm()&0o077, "file %s is %v", p, info.Mode().Perm())
		return nil
	}))
	require.Equal(t, 8, files, "each document and its attributes file")
}
