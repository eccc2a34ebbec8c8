package cellosign

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"

	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/signing"
)

// maxSkeleton bounds the archive once its Base64 contents are taken out:
// form data, sessions and signatures are small; the files are not kept.
const maxSkeleton = 4 << 20

// blobRef marks, in the skeleton, where a content value was streamed out.
const blobRef = "@blob:"

// errTooLarge: the archive's non-file part exceeds maxSkeleton.
var errTooLarge = errors.New("archive is too large outside its files")

// divert scans an archive once. Every string value of a "content" key is
// decoded (JSON unescape, then Base64) straight into the store as it is
// read, and replaced by "@blob:<n>" in the returned skeleton, which is then
// small enough to decode normally. Memory stays bounded by the scanner's
// buffers, whatever the size of the files.
func divert(ctx context.Context, r io.Reader, store providers.Store, prefix string) (skeleton []byte, blobs []signing.StoredDocument, err error) {
	in := bufio.NewReaderSize(r, 64<<10)
	var out bytes.Buffer
	emit := func(b ...byte) error {
		if out.Len()+len(b) > maxSkeleton {
			return errTooLarge
		}
		out.Write(b)
		return nil
	}
	var lastString []byte // the last complete string outside contents (a candidate key)
	awaitingValue := false
	for {
		c, err := in.ReadByte()
		if err == io.EOF {
			return out.Bytes(), blobs, nil
		}
		if err != nil {
			return nil, nil, err
		}
		switch {
		case c == '"' && awaitingValue:
			awaitingValue = false
			doc, err := streamContent(ctx, in, store, fmt.Sprintf("%s/%02d", prefix, len(blobs)))
			if err != nil {
				return nil, nil, err
			}
			blobs = append(blobs, doc)
			if err := emit([]byte(`"` + blobRef + strconv.Itoa(len(blobs)-1) + `"`)...); err != nil {
				return nil, nil, err
			}
		case c == '"':
			s, raw, err := readString(in)
			if err != nil {
				return nil, nil, err
			}
			if err := emit('"'); err != nil {
				return nil, nil, err
			}
			if err := emit(raw...); err != nil {
				return nil, nil, err
			}
			lastString = s
		case c == ':' && string(lastString) == "content":
			// Only a string value is diverted; anything else passes through.
			if err := emit(c); err != nil {
				return nil, nil, err
			}
			next, err := peekNonSpace(in)
			if err != nil {
				return nil, nil, err
			}
			awaitingValue = next == '"'
			lastString = nil
		default:
			if c != ' ' && c != '\n' && c != '\r' && c != '\t' {
				lastString = nil
			}
			if err := emit(c); err != nil {
				return nil, nil, err
			}
		}
	}
}

// readString reads the rest of a short string (after its opening quote) and
// returns its value (up to 64 bytes, enough to recognise a key) and its raw
// bytes including the closing quote. Long strings are passed through.
func readString(in *bufio.Reader) (value, raw []byte, err error) {
	escaped := false
	for {
		c, err := in.ReadByte()
		if err != nil {
			return nil, nil, unexpected(err)
		}
		raw = append(raw, c)
		if len(raw) > maxSkeleton {
			return nil, nil, errTooLarge
		}
		switch {
		case escaped:
			escaped = false
		case c == '\\':
			escaped = true
		case c == '"':
			v := raw[:len(raw)-1]
			if len(v) > 64 {
				v = nil
			}
			return v, raw, nil
		}
	}
}

func peekNonSpace(in *bufio.Reader) (byte, error) {
	for {
		b, err := in.Peek(1)
		if err != nil {
			return 0, unexpected(err)
		}
		if b[0] == ' ' || b[0] == '\n' || b[0] == '\r' || b[0] == '\t' {
			in.ReadByte()
			continue
		}
		return b[0], nil
	}
}

// streamContent decodes one JSON string (after its opening quote) as Base64
// into the store.
func streamContent(ctx context.Context, in *bufio.Reader, store providers.Store, key string) (signing.StoredDocument, error) {
	pr, pw := io.Pipe()
	type result struct {
		doc signing.StoredDocument
		err error
	}
	done := make(chan result, 1)
	go func() {
		doc, err := store.Put(ctx, key, &decodeReader{r: base64.NewDecoder(base64.StdEncoding, pr)}, "")
		pr.CloseWithError(err) // unblock the writer if the store gave up
		done <- result{doc, err}
	}()
	werr := unescapeInto(in, pw)
	pw.CloseWithError(werr)
	res := <-done
	if werr != nil {
		return signing.StoredDocument{}, werr
	}
	var bad *decodeError
	if errors.As(res.err, &bad) {
		return signing.StoredDocument{}, providers.Invalid(Name, "file content is not Base64: %v", bad.err)
	}
	if res.err != nil {
		return signing.StoredDocument{}, fmt.Errorf("cellosign: store archive file: %w", res.err)
	}
	return res.doc, nil
}

// unescapeInto copies a JSON string's value, unescaped, until its closing quote.
func unescapeInto(in *bufio.Reader, w io.Writer) error {
	buf := make([]byte, 0, 32<<10)
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		_, err := w.Write(buf)
		buf = buf[:0]
		return err
	}
	for {
		c, err := in.ReadByte()
		if err != nil {
			return unexpected(err)
		}
		switch c {
		case '"':
			return flush()
		case '\\':
			e, err := in.ReadByte()
			if err != nil {
				return unexpected(err)
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
				buf = append(buf, ' ') // not Base64: the decoder will refuse it
			case 'u':
				hexDigits := make([]byte, 4)
				if _, err := io.ReadFull(in, hexDigits); err != nil {
					return unexpected(err)
				}
				v, err := hex.DecodeString(string(hexDigits))
				if err != nil {
					return providers.Invalid(Name, "bad \\u escape in file content")
				}
				buf = utf8.AppendRune(buf, rune(v[0])<<8|rune(v[1]))
			default:
				return providers.Invalid(Name, "bad escape in file content")
			}
		default:
			if c < 0x20 {
				return providers.Invalid(Name, "control character in file content")
			}
			buf = append(buf, c)
		}
		if len(buf) == cap(buf) {
			if err := flush(); err != nil {
				return err
			}
		}
	}
}

func unexpected(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return providers.Invalid(Name, "archive ends inside a string")
	}
	return err
}

// decodeReader marks errors of the Base64 decoding itself (a 4xx), apart
// from store failures (a 5xx).
type decodeReader struct{ r io.Reader }

type decodeError struct{ err error }

func (e *decodeError) Error() string { return "base64: " + e.err.Error() }

func (d *decodeReader) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	if err != nil && err != io.EOF {
		if _, ok := err.(*decodeError); ok {
			return n, err
		}
		var pipeErr *decodeError
		if errors.As(err, &pipeErr) {
			return n, err
		}
		return n, &decodeError{err: err}
	}
	return n, err
}
