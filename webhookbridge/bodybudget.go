package webhookbridge

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"

	"golang.org/x/sync/semaphore"
)

// DefaultMaxBufferedBytes is the default budget of body bytes held in
// memory at once before they are authenticated: two signed bodies at the
// default signed cap (32 MiB).
const DefaultMaxBufferedBytes = 64 << 20

// bufferChunk is the step in which a buffered body takes its budget: memory
// is taken as bytes arrive, so a client holds no more of the budget than it
// has sent.
const bufferChunk = 64 << 10

var (
	// errOverBudget: the bodies buffered now leave no room for this one.
	// A later attempt may pass (503 with Retry-After).
	errOverBudget = errors.New("too many bodies are being read at once")
	// errBodyTooLarge: the body is over its route's cap (413).
	errBodyTooLarge = errors.New("body too large")
)

// bodyBudget bounds the bytes of request bodies held in memory at once.
// Bodies that must be read whole before they can be authenticated (an HMAC
// over the body) are the ones an attacker without the secret can make the
// bridge hold; without a bound, 40 concurrent forged 50 MB bodies pinned
// 2.7 GiB. A body never waits for budget: over it, it is refused at once.
type bodyBudget struct {
	sem  *semaphore.Weighted
	size int64
	// chunks recycles released chunks: a refused body's memory is reused
	// by the next one instead of piling up as garbage until the next GC.
	chunks sync.Pool
}

type chunk [bufferChunk]byte

func newBodyBudget(size int64) *bodyBudget {
	bb := &bodyBudget{sem: semaphore.NewWeighted(size), size: size}
	bb.chunks.New = func() any { return new(chunk) }
	return bb
}

// bufferedBody is a body read into memory in chunks, each taken from the
// budget before it was allocated. Release gives the budget back.
type bufferedBody struct {
	chunks []*chunk
	// last is how much of the last chunk holds body bytes.
	last   int
	budget *bodyBudget
}

// Reader reads the whole body again from its start.
func (b *bufferedBody) Reader() io.Reader {
	readers := make([]io.Reader, len(b.chunks))
	for i, c := range b.chunks {
		n := bufferChunk
		if i == len(b.chunks)-1 {
			n = b.last
		}
		readers[i] = bytes.NewReader(c[:n])
	}
	return io.MultiReader(readers...)
}

// Release returns the body's chunks and budget; the body and its readers
// must not be used after.
func (b *bufferedBody) Release() {
	for _, c := range b.chunks {
		b.budget.chunks.Put(c)
	}
	b.budget.sem.Release(int64(len(b.chunks)) * bufferChunk)
	b.chunks = nil
}

// read buffers body, at most limit bytes. contentLength, when known (>= 0),
// is checked against limit before anything is read. It returns
// errBodyTooLarge, errOverBudget, or the body's own read error.
func (bb *bodyBudget) read(body io.Reader, contentLength, limit int64) (*bufferedBody, error) {
	if contentLength > limit {
		return nil, errBodyTooLarge
	}
	out := &bufferedBody{budget: bb}
	var total int64
	for {
		if !bb.sem.TryAcquire(bufferChunk) {
			out.Release()
			return nil, errOverBudget
		}
		c := bb.chunks.Get().(*chunk)
		out.chunks = append(out.chunks, c)
		got, eof, err := fill(body, c[:])
		out.last = got
		total += int64(got)
		switch {
		case total > limit:
			out.Release()
			return nil, errBodyTooLarge
		case err != nil:
			out.Release()
			return nil, fmt.Errorf("read body: %w", err)
		case eof, contentLength >= 0 && total == contentLength:
			// The server ends a body at its declared length.
			return out, nil
		}
	}
}

// fill reads into buf until it is full or the body ends (eof). A body cut
// short (io.ErrUnexpectedEOF from the server) is an error, not an end.
func fill(r io.Reader, buf []byte) (n int, eof bool, err error) {
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err == io.EOF {
			return n, true, nil
		}
		if err != nil {
			return n, false, err
		}
	}
	return n, false, nil
}
