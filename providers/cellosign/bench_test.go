package cellosign_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"runtime"
	"testing"

	"github.com/firmaflow/firmaflow/signing"
)

// hashStore is a providers.Store that keeps only the SHA-256 and size of
// what it is given, so allocations measured are the parser's own.
type hashStore struct {
	docs map[string]signing.StoredDocument
}

func (s *hashStore) Put(_ context.Context, key string, r io.Reader, ct string) (signing.StoredDocument, error) {
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return signing.StoredDocument{}, err
	}
	d := signing.StoredDocument{Key: key, Size: n, ContentType: ct, SHA256: hex.EncodeToString(h.Sum(nil))}
	s.docs[key] = d
	return d, nil
}

type pattern struct{}

func (pattern) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(i * 7)
	}
	return len(p), nil
}

// largeArchive streams an archive whose signed document is size bytes,
// generated and Base64-encoded on the fly (with "\/" escapes, as some
// JSON encoders write them), and returns the document's SHA-256.
func largeArchive(size int64) (io.Reader, string) {
	h := sha256.New()
	io.Copy(h, io.LimitReader(pattern{}, size))
	pr, pw := io.Pipe()
	go func() {
		pw.CloseWithError(func() error {
			fmt.Fprint(pw, `{"event":{"type":"WHP_ARCHIVE","timestamp":"2022-12-21T22:29:17.603248"},"reference":"big","sessions":[],`+
				`"attachments":[{"id":"A","filename":"a.png","mimetype":"image/png","content":"iVBORw0KGgo="}],`+
				`"signed_document":{"filename":"big.pdf","mimetype":"application/pdf","content":"`)
			enc := base64.NewEncoder(base64.StdEncoding, &slashEscaper{w: pw})
			if _, err := io.Copy(enc, io.LimitReader(pattern{}, size)); err != nil {
				return err
			}
			enc.Close()
			_, err := io.WriteString(pw, `"}}`)
			return err
		}())
	}()
	return pr, hex.EncodeToString(h.Sum(nil))
}

// slashEscaper writes "/" as "\/", reusing one buffer.
type slashEscaper struct {
	w   io.Writer
	buf []byte
}

func (s *slashEscaper) Write(p []byte) (int, error) {
	out := s.buf[:0]
	for _, c := range p {
		if c == '/' {
			out = append(out, '\\')
		}
		out = append(out, c)
	}
	s.buf = out
	_, err := s.w.Write(out)
	return len(p), err
}

const largeSize = 40 << 20

// TestParseLargeArchiveWithBoundedMemory: a 40 MiB document (~54 MiB of
// escaped Base64) is parsed with allocations far below the body's size.
func TestParseLargeArchiveWithBoundedMemory(t *testing.T) {
	c := newClient()
	store := &hashStore{docs: map[string]signing.StoredDocument{}}
	body, want := largeArchive(largeSize)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	evs, err := c.Parse(context.Background(), "", nil, body, store)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	d := store.docs[evs[0].Documents[0].StoredKey]
	if d.Size != largeSize || d.SHA256 != want {
		t.Fatalf("stored %d bytes %s, want %d %s", d.Size, d.SHA256, largeSize, want)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("TotalAlloc delta %d KiB for a %d MiB document (generator included)", alloc>>10, largeSize>>20)
	// The generator's own allocations are included in the delta.
	if alloc > largeSize/32 {
		t.Fatalf("parser allocated %d bytes for a %d-byte document", alloc, largeSize)
	}
}

// BenchmarkParseLargeArchive: throughput and allocations for a 40 MiB
// signed document.
func BenchmarkParseLargeArchive(b *testing.B) {
	c := newClient()
	store := &hashStore{docs: map[string]signing.StoredDocument{}}
	b.ReportAllocs()
	b.SetBytes(largeSize)
	for b.Loop() {
		b.StopTimer()
		body, _ := largeArchive(largeSize)
		b.StartTimer()
		if _, err := c.Parse(context.Background(), "", nil, body, store); err != nil {
			b.Fatal(err)
		}
	}
}
