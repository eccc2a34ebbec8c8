package cellosign

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/signing"
)

// The archive parser reads a WHP_ARCHIVE body once, as a stream. It is a
// small recursive-descent JSON reader that copies the body into a
// "skeleton", except for the Base64 "content" strings of signed_document
// and of each attachments[] element: those are JSON-unescaped and
// Base64-decoded on the fly straight into the document store, and replaced
// by null in the skeleton. The skeleton (sessions, signatures, form data:
// small) is then decoded with encoding/json. Memory stays bounded by a few
// fixed buffers, whatever the size of the files.

const (
	// maxSkeleton bounds the archive once its files are taken out.
	maxSkeleton = 4 << 20
	// maxDepth bounds nesting (encoding/json allows 10000; an archive needs ~6).
	maxDepth = 256
	// maxSegment bounds a key segment taken from the payload (file names
	// longer than this are cut, so a local store's 255-byte limit holds).
	maxSegment = 100
)

// where a value sits in the archive, as far as the parser cares.
type place int

const (
	placeOther       place = iota
	placeTop               // the archive object
	placeSigned            // signed_document
	placeAttachments       // the attachments array
	placeAttachment        // one attachments[] element
)

// streamed is what the parser stored for one file.
type streamed struct {
	signed      *signing.StoredDocument
	attachments map[int]signing.StoredDocument
}

type archiveReader struct {
	ctx   context.Context
	in    *bufio.Reader
	store providers.Store
	out   bytes.Buffer
	depth int
	// reference is the top-level reference, once read; files that come
	// before it in the body are keyed under a random segment instead.
	reference string
	files     streamed
}

// readArchive streams body, storing its files, and returns the skeleton
// and what was stored.
func readArchive(ctx context.Context, body io.Reader, store providers.Store) ([]byte, streamed, error) {
	a := &archiveReader{ctx: ctx, in: bufio.NewReaderSize(body, 64<<10), store: store,
		files: streamed{attachments: map[int]signing.StoredDocument{}}}
	if err := a.value(placeTop, 0); err != nil {
		return nil, a.files, err
	}
	if c, err := a.peek(); err == nil {
		return nil, a.files, providers.Invalid(Name, "trailing data after the archive (%q)", c)
	} else if !errors.Is(err, io.EOF) {
		return nil, a.files, readFailure(err)
	}
	return a.out.Bytes(), a.files, nil
}

// readFailure classifies an error of the body reader: a body over the
// bridge's cap stays an *http.MaxBytesError (413); the end of the body
// inside a value, or any other read failure, is a malformed payload.
func readFailure(err error) error {
	var tooBig *http.MaxBytesError
	var invalid *providers.InvalidPayloadError
	switch {
	case errors.As(err, &tooBig), errors.As(err, &invalid):
		return err
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return providers.Invalid(Name, "archive ends early")
	}
	return providers.Invalid(Name, "unreadable body: %v", err)
}

func (a *archiveReader) emit(b ...byte) error {
	if a.out.Len()+len(b) > maxSkeleton {
		return providers.Invalid(Name, "archive exceeds %d bytes outside its files", maxSkeleton)
	}
	a.out.Write(b)
	return nil
}

// peek skips white space and returns the next byte without consuming it.
func (a *archiveReader) peek() (byte, error) {
	for {
		b, err := a.in.Peek(1)
		if err != nil {
			return 0, err
		}
		switch b[0] {
		case ' ', '\t', '\n', '\r':
			a.in.ReadByte()
			continue
		}
		return b[0], nil
	}
}

func (a *archiveReader) expect(want byte) error {
	c, err := a.peek()
	if err != nil {
		return readFailure(err)
	}
	if c != want {
		return providers.Invalid(Name, "expected %q, found %q", want, c)
	}
	a.in.ReadByte()
	return a.emit(c)
}

// value copies one JSON value at place p (index: its position in an array).
func (a *archiveReader) value(p place, index int) error {
	c, err := a.peek()
	if err != nil {
		return readFailure(err)
	}
	switch {
	case c == '{':
		return a.object(p, index)
	case c == '[':
		return a.array(p)
	case c == '"':
		_, err := a.str()
		return err
	case c == '-' || (c >= '0' && c <= '9') || c == 't' || c == 'f' || c == 'n':
		return a.scalar()
	}
	return providers.Invalid(Name, "unexpected %q", c)
}

func (a *archiveReader) enter() error {
	a.depth++
	if a.depth > maxDepth {
		return providers.Invalid(Name, "archive nests deeper than %d", maxDepth)
	}
	return nil
}

func (a *archiveReader) object(p place, index int) error {
	if err := a.enter(); err != nil {
		return err
	}
	defer func() { a.depth-- }()
	if err := a.expect('{'); err != nil {
		return err
	}
	c, err := a.peek()
	if err != nil {
		return readFailure(err)
	}
	if c == '}' {
		a.in.ReadByte()
		return a.emit('}')
	}
	var filename string // of this file object, once read
	for {
		if c, err := a.peek(); err != nil {
			return readFailure(err)
		} else if c != '"' {
			return providers.Invalid(Name, "expected a key, found %q", c)
		}
		key, err := a.str()
		if err != nil {
			return err
		}
		if err := a.expect(':'); err != nil {
			return err
		}
		child := placeOther
		isFile := p == placeSigned || p == placeAttachment
		switch {
		case p == placeTop && key == "signed_document":
			child = placeSigned
		case p == placeTop && key == "attachments":
			child = placeAttachments
		}
		next, err := a.peek()
		if err != nil {
			return readFailure(err)
		}
		switch {
		case isFile && key == "content" && next == '"':
			if err := a.content(p, index, filename); err != nil {
				return err
			}
		case (p == placeTop && key == "reference" || isFile && key == "filename") && next == '"':
			s, err := a.str()
			if err != nil {
				return err
			}
			if p == placeTop {
				a.reference = s
			} else {
				filename = s
			}
		default:
			if err := a.value(child, 0); err != nil {
				return err
			}
		}
		c, err := a.peek()
		if err != nil {
			return readFailure(err)
		}
		a.in.ReadByte()
		if err := a.emit(c); err != nil {
			return err
		}
		switch c {
		case ',':
		case '}':
			return nil
		default:
			return providers.Invalid(Name, "expected ',' or '}', found %q", c)
		}
	}
}

func (a *archiveReader) array(p place) error {
	if err := a.enter(); err != nil {
		return err
	}
	defer func() { a.depth-- }()
	if err := a.expect('['); err != nil {
		return err
	}
	c, err := a.peek()
	if err != nil {
		return readFailure(err)
	}
	if c == ']' {
		a.in.ReadByte()
		return a.emit(']')
	}
	child := placeOther
	if p == placeAttachments {
		child = placeAttachment
	}
	for i := 0; ; i++ {
		if err := a.value(child, i); err != nil {
			return err
		}
		c, err := a.peek()
		if err != nil {
			return readFailure(err)
		}
		a.in.ReadByte()
		if err := a.emit(c); err != nil {
			return err
		}
		switch c {
		case ',':
		case ']':
			return nil
		default:
			return providers.Invalid(Name, "expected ',' or ']', found %q", c)
		}
	}
}

// scalar copies a number or literal; encoding/json validates it later.
func (a *archiveReader) scalar() error {
	for {
		b, err := a.in.Peek(1)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return readFailure(err)
		}
		c := b[0]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'E') {
			return nil
		}
		a.in.ReadByte()
		if err := a.emit(c); err != nil {
			return err
		}
	}
}

// str copies a string (at its opening quote) into the skeleton and returns
// its decoded value when it is short (keys, references, file names).
func (a *archiveReader) str() (string, error) {
	start := a.out.Len()
	a.in.ReadByte()
	if err := a.emit('"'); err != nil {
		return "", err
	}
	escaped := false
	for {
		c, err := a.in.ReadByte()
		if err != nil {
			return "", readFailure(err)
		}
		if err := a.emit(c); err != nil {
			return "", err
		}
		switch {
		case escaped:
			escaped = false
		case c == '\\':
			escaped = true
		case c == '"':
			raw := a.out.Bytes()[start:]
			if len(raw) > 4<<10 {
				return "", nil
			}
			var s string
			if json.Unmarshal(raw, &s) != nil {
				return "", nil // encoding/json reports it when decoding the skeleton
			}
			return s, nil
		}
	}
}

// content streams a file's Base64 string (at its opening quote) into the
// store and writes null in its place.
func (a *archiveReader) content(p place, index int, filename string) error {
	kind, n := signing.KindSigned, 0
	if p == placeAttachment {
		kind, n = signing.KindAttachment, index+1
	}
	if (p == placeSigned && a.files.signed != nil) || (p == placeAttachment && a.files.attachments[index].Key != "") {
		return providers.Invalid(Name, "file %d has two contents", n)
	}
	if filename == "" {
		filename = "signed.pdf"
		if kind == signing.KindAttachment {
			filename = fmt.Sprintf("attachment-%d", index+1)
		}
	}
	ref := a.reference
	if strings.TrimSpace(ref) == "" {
		// The body names its reference after its files: a unique prefix.
		ref = "_unreferenced/" + uuid.NewString()
	} else {
		ref = safeSegment(ref)
	}
	key := fmt.Sprintf("webhooks/%s/%s/%02d-%s-%s", Name, ref, n, kind, safeSegment(filename))
	a.in.ReadByte() // the opening quote
	doc, err := a.streamInto(key)
	if err != nil {
		return err
	}
	if doc.Size == 0 {
		return providers.Invalid(Name, "file %s has empty content", filename)
	}
	if p == placeSigned {
		a.files.signed = &doc
	} else {
		a.files.attachments[index] = doc
	}
	return a.emit([]byte("null")...)
}

// writeFailed marks an unescape that stopped because the store stopped reading.
type writeFailed struct{ err error }

func (e *writeFailed) Error() string { return e.err.Error() }

// streamInto pipes the rest of a JSON string, unescaped and Base64-decoded,
// into store.Put under key.
func (a *archiveReader) streamInto(key string) (signing.StoredDocument, error) {
	pr, pw := io.Pipe()
	type result struct {
		doc signing.StoredDocument
		err error
	}
	done := make(chan result, 1)
	go func() {
		doc, err := a.store.Put(a.ctx, key, &decodeReader{r: base64.NewDecoder(base64.StdEncoding, pr)}, "")
		pr.CloseWithError(errors.Join(errStoreGaveUp, err)) // unblock the writer if the store stopped early
		done <- result{doc, err}
	}()
	werr := a.unescapeInto(pw)
	pw.CloseWithError(werr)
	res := <-done
	var bad *decodeError
	var wf *writeFailed
	switch {
	case werr != nil && !errors.As(werr, &wf):
		return signing.StoredDocument{}, readFailure(werr) // the body was at fault
	case errors.As(res.err, &bad):
		return signing.StoredDocument{}, providers.Invalid(Name, "file content is not Base64: %v", bad.err)
	case res.err != nil:
		return signing.StoredDocument{}, fmt.Errorf("cellosign: store archive file %s: %w", key, res.err)
	case werr != nil:
		return signing.StoredDocument{}, fmt.Errorf("cellosign: store archive file %s: %w", key, werr)
	}
	return res.doc, nil
}

var errStoreGaveUp = errors.New("store stopped reading")

// unescapeInto copies a JSON string's value, unescaped, up to its closing
// quote. Runs of plain bytes are copied from the reader's buffer in bulk.
func (a *archiveReader) unescapeInto(w io.Writer) error {
	buf := make([]byte, 0, 32<<10)
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		_, err := w.Write(buf)
		buf = buf[:0]
		if err != nil {
			return &writeFailed{err: err}
		}
		return nil
	}
	for {
		if len(buf) >= cap(buf)-8 {
			if err := flush(); err != nil {
				return err
			}
		}
		if a.in.Buffered() == 0 {
			if _, err := a.in.Peek(1); err != nil {
				return err
			}
		}
		chunk, _ := a.in.Peek(min(a.in.Buffered(), cap(buf)-8-len(buf)))
		i := 0
		for i < len(chunk) && chunk[i] != '"' && chunk[i] != '\\' && chunk[i] >= 0x20 {
			i++
		}
		buf = append(buf, chunk[:i]...)
		a.in.Discard(i)
		if i == len(chunk) {
			continue
		}
		c, _ := a.in.ReadByte()
		switch {
		case c == '"':
			return flush()
		case c < 0x20:
			return providers.Invalid(Name, "control character in file content")
		}
		e, err := a.in.ReadByte()
		if err != nil {
			return err
		}
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'b', 'f':
			buf = append(buf, '!') // never Base64: the decoder refuses it
		case 'u':
			var hex [4]byte
			if _, err := io.ReadFull(a.in, hex[:]); err != nil {
				return err
			}
			var r rune
			for _, h := range hex {
				switch {
				case h >= '0' && h <= '9':
					r = r<<4 | rune(h-'0')
				case h >= 'a' && h <= 'f':
					r = r<<4 | rune(h-'a'+10)
				case h >= 'A' && h <= 'F':
					r = r<<4 | rune(h-'A'+10)
				default:
					return providers.Invalid(Name, "bad \\u escape in file content")
				}
			}
			buf = utf8.AppendRune(buf, r)
		default:
			return providers.Invalid(Name, "bad escape \\%c in file content", e)
		}
	}
}

// decodeReader marks errors of the Base64 decoding itself (a 4xx), apart
// from store failures (a 5xx). An error the pipe carries from the body
// reader is not a decoding error.
type decodeReader struct{ r io.Reader }

type decodeError struct{ err error }

func (e *decodeError) Error() string { return "base64: " + e.err.Error() }

func (d *decodeReader) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	var corrupt base64.CorruptInputError
	if errors.As(err, &corrupt) || errors.Is(err, io.ErrUnexpectedEOF) {
		return n, &decodeError{err: err}
	}
	return n, err
}

// safeSegment makes a payload string safe as one key segment.
func safeSegment(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return '_'
		}
		return r
	}, strings.TrimSpace(s))
	s = strings.ReplaceAll(s, "..", "_")
	if len(s) > maxSegment {
		cut := maxSegment
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	if s == "" || s == "." {
		s = "_"
	}
	return s
}
