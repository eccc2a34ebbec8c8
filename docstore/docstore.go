// Package docstore keeps signed documents and their evidence outside workflow
// history (payloads are capped at 2 MB), on any gocloud.dev/blob bucket: a
// local directory by default, S3-compatible object storage or memory by URL.
//
// Writes stream: bytes go from the reader to the bucket through a SHA-256
// hasher, never whole into memory, and the digest and size are recorded with
// the object.
package docstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	_ "gocloud.dev/blob/memblob" // mem:// for tests
	_ "gocloud.dev/blob/s3blob"  // s3://bucket?region=...&endpoint=... for scale
	"gocloud.dev/gcerrors"

	"github.com/firmaflow/firmaflow/signing"
)

// MetaSHA256 is the object metadata key holding the hex SHA-256 of the content.
const MetaSHA256 = "sha256"

// ErrNotFound is returned for a key the store does not hold.
var ErrNotFound = errors.New("docstore: document not found")

// ErrExists is returned by PutNew for a key that already holds an object.
var ErrExists = errors.New("docstore: document exists and is never replaced")

// Store is a document store on a blob bucket.
type Store struct {
	bucket *blob.Bucket
	url    string
	// dir is the root of a local store, whose files are made owner-only.
	dir string
}

// Open opens the store at a URL: "file:///abs/dir", a plain directory path
// ("./data/documents"), "mem://", or "s3://bucket?...". Local directories are
// created private (0700; files are written 0600).
func Open(ctx context.Context, storeURL string) (*Store, error) {
	if !strings.Contains(storeURL, "://") || strings.HasPrefix(storeURL, "file://") {
		dir := strings.TrimPrefix(storeURL, "file://")
		if u, err := url.Parse(storeURL); err == nil && u.Scheme == "file" {
			dir = u.Path
		}
		abs, err := filepath.Abs(dir)
		if err != nil {
			return nil, fmt.Errorf("docstore: directory %q: %w", dir, err)
		}
		if err := os.MkdirAll(abs, 0o700); err != nil {
			return nil, fmt.Errorf("docstore: create %q: %w", abs, err)
		}
		b, err := fileblob.OpenBucket(abs, &fileblob.Options{DirFileMode: 0o700})
		if err != nil {
			return nil, fmt.Errorf("docstore: open %q: %w", abs, err)
		}
		return &Store{bucket: b, url: "file://" + abs, dir: abs}, nil
	}
	b, err := blob.OpenBucket(ctx, storeURL)
	if err != nil {
		return nil, fmt.Errorf("docstore: open %q: %w", storeURL, err)
	}
	return &Store{bucket: b, url: storeURL}, nil
}

// URL is the store's location, for logs and docs (never contains secrets for
// file and mem stores; S3 credentials come from the environment).
func (s *Store) URL() string { return s.url }

// Close releases the bucket.
func (s *Store) Close() error { return s.bucket.Close() }

// Put streams r into key and returns what was stored, with size and SHA-256.
// It replaces what key held: for objects that are rewritten by design
// (uploads before a start, send markers, credentials). Result documents use
// PutNew.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, contentType string) (signing.StoredDocument, error) {
	return s.write(ctx, key, r, contentType, writeOptions{})
}

// PutNew is Put for an object that must never be replaced: it fails with
// ErrExists, and writes nothing, when key already holds an object.
func (s *Store) PutNew(ctx context.Context, key string, r io.Reader, contentType string) (signing.StoredDocument, error) {
	return s.write(ctx, key, r, contentType, writeOptions{ifNotExist: true})
}

type writeOptions struct {
	// ifNotExist refuses to replace an existing object (ErrExists).
	ifNotExist bool
	// wantSHA256, when set, discards the write unless the bytes hash to it.
	wantSHA256 string
}

func (s *Store) write(ctx context.Context, key string, r io.Reader, contentType string, opts writeOptions) (signing.StoredDocument, error) {
	if err := validKey(key); err != nil {
		return signing.StoredDocument{}, err
	}
	// Cancelling the context before Close discards the write, so a failed
	// stream never leaves a half-written object behind.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := s.bucket.NewWriter(ctx, key, &blob.WriterOptions{
		ContentType: contentType,
		IfNotExist:  opts.ifNotExist,
		BeforeWrite: privateFile,
	})
	if err != nil {
		return signing.StoredDocument{}, fmt.Errorf("docstore: write %s: %w", key, err)
	}
	h := sha256.New()
	n, err := io.Copy(w, io.TeeReader(r, h))
	sum := hex.EncodeToString(h.Sum(nil))
	if err == nil && opts.wantSHA256 != "" && sum != opts.wantSHA256 {
		err = fmt.Errorf("bytes hash to %s, want %s", sum, opts.wantSHA256)
	}
	if err != nil {
		cancel() // abort: a half-written object must not appear
		_ = w.Close()
		return signing.StoredDocument{}, fmt.Errorf("docstore: write %s: %w", key, err)
	}
	if err := w.Close(); err != nil {
		if gcerrors.Code(err) == gcerrors.FailedPrecondition {
			return signing.StoredDocument{}, fmt.Errorf("%w: %s", ErrExists, key)
		}
		return signing.StoredDocument{}, fmt.Errorf("docstore: commit %s: %w", key, err)
	}
	s.restrict(ctx, key)
	return signing.StoredDocument{
		Key:         key,
		Name:        filepath.Base(key),
		ContentType: contentType,
		Size:        n,
		SHA256:      sum,
	}, nil
}

// privateFile makes a local store's file owner-only before any byte is
// written to it (fileblob creates it 0666 less umask, in os.TempDir, and
// renames it into place, which keeps the mode).
func privateFile(as func(any) bool) error {
	var f *os.File
	if as(&f) {
		if err := f.Chmod(0o600); err != nil {
			return fmt.Errorf("docstore: make %s private: %w", f.Name(), err)
		}
	}
	return nil
}

// restrict makes a local document's attributes sidecar owner-only. fileblob
// names files after an escaped form of the key (control characters, "//"
// and a trailing "/" become __0x..__), so the real file name is asked of
// fileblob itself by opening the object.
func (s *Store) restrict(ctx context.Context, key string) {
	if s.dir == "" {
		return
	}
	var file string
	r, err := s.bucket.NewReader(context.WithoutCancel(ctx), key, &blob.ReaderOptions{BeforeRead: func(as func(any) bool) error {
		var f *os.File
		if as(&f) {
			file = f.Name()
		}
		return nil
	}})
	if err != nil {
		slog.Warn("docstore: restrict permissions", "key", key, "error", err)
		return
	}
	r.Close()
	if file == "" {
		return
	}
	for _, f := range []string{file, file + ".attrs"} {
		if err := os.Chmod(f, 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
			slog.Warn("docstore: restrict permissions", "key", key, "error", err)
		}
	}
}

// Open returns a reader of the document at key.
func (s *Store) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	r, err := s.bucket.NewReader(ctx, key, nil)
	if err != nil {
		if gcerrors.Code(err) == gcerrors.NotFound {
			return nil, fmt.Errorf("%w: %s", ErrNotFound, key)
		}
		return nil, fmt.Errorf("docstore: read %s: %w", key, err)
	}
	return r, nil
}

// Delete removes the object at key; a key the store does not hold is no error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.bucket.Delete(ctx, key); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		return fmt.Errorf("docstore: delete %s: %w", key, err)
	}
	return nil
}

// Size returns the size of the document at key.
func (s *Store) Size(ctx context.Context, key string) (int64, error) {
	a, err := s.bucket.Attributes(ctx, key)
	if err != nil {
		if gcerrors.Code(err) == gcerrors.NotFound {
			return 0, fmt.Errorf("%w: %s", ErrNotFound, key)
		}
		return 0, fmt.Errorf("docstore: stat %s: %w", key, err)
	}
	return a.Size, nil
}

// Describe re-reads the document at key and returns its size and SHA-256,
// streaming. Used to verify a document someone else stored.
func (s *Store) Describe(ctx context.Context, key string) (signing.StoredDocument, error) {
	r, err := s.Open(ctx, key)
	if err != nil {
		return signing.StoredDocument{}, err
	}
	defer r.Close()
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return signing.StoredDocument{}, fmt.Errorf("docstore: hash %s: %w", key, err)
	}
	return signing.StoredDocument{Key: key, Name: filepath.Base(key), Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// validKey refuses keys that could escape a directory-backed store.
func validKey(key string) error {
	if key == "" || strings.HasPrefix(key, "/") || strings.Contains(key, "..") || strings.ContainsRune(key, 0) {
		return fmt.Errorf("docstore: invalid key %q", key)
	}
	return nil
}
