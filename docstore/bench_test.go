package docstore

import (
	"context"
	"io"
	"testing"
)

// zeroReader yields n bytes without holding them.
type zeroReader struct{ n int64 }

func (z *zeroReader) Read(p []byte) (int, error) {
	if z.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > z.n {
		p = p[:z.n]
	}
	clear(p)
	z.n -= int64(len(p))
	return len(p), nil
}

// BenchmarkPut32MiB stores a 32 MiB document in a local store. Memory per
// op (-benchmem) stays far below the document's size: writes stream.
func BenchmarkPut32MiB(b *testing.B) {
	s, err := Open(context.Background(), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	const size = 32 << 20
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Put(context.Background(), "bench/doc.pdf", &zeroReader{n: size}, "application/pdf"); err != nil {
			b.Fatal(err)
		}
	}
}
