package docstore

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Keys built from outside input (process ids, document names, provider
// references) must be injective: two different inputs never share a key, or
// one process takes another's document. Segment is the one way to put such a
// string into a key.

// maxSegmentBytes bounds a segment so that a file name built from it stays
// under the 255-byte limit of local file systems, with room for a short
// prefix ("07-") and fileblob's temporary suffix (".<16 hex>.tmp").
const maxSegmentBytes = 200

// shortenedMark separates a shortened segment from the hash of the whole
// string. Segment escapes it everywhere else, so a shortened segment never
// equals a whole one.
const shortenedMark = '~'

// Segment turns any string into one key segment, injectively. Bytes other
// than ASCII letters, digits, '-' and '_' are written %XX, and so is a '.'
// that starts the segment or follows another '.': the segment never
// contains '/', "..", control characters or anything a file system or
// fileblob would escape, and the original is recovered by unescaping %XX.
// An empty string is "~". A segment longer than 200 bytes is cut and ends
// in "~" and 32 hex digits of the SHA-256 of the whole string.
func Segment(s string) string {
	if s == "" {
		return string(shortenedMark)
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		plain := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' ||
			c == '.' && i > 0 && s[i-1] != '.'
		if plain {
			b.WriteByte(c)
		} else {
			b.WriteByte('%')
			b.WriteString(strings.ToUpper(hex.EncodeToString([]byte{c})))
		}
	}
	out := b.String()
	if len(out) <= maxSegmentBytes {
		return out
	}
	sum := sha256.Sum256([]byte(s))
	suffix := string(shortenedMark) + hex.EncodeToString(sum[:16])
	cut := maxSegmentBytes - len(suffix)
	// Never cut inside a %XX escape.
	if i := strings.LastIndexByte(out[:cut], '%'); i >= 0 && i > cut-3 {
		cut = i
	}
	return out[:cut] + suffix
}

// contentPrefix holds documents by content: the key names the SHA-256 of
// the bytes, so an object there never changes (written only if absent, and
// only with bytes that hash to its name).
const contentPrefix = "webhooks/sha256/"

// ContentKey is the content-addressed key of bytes with this hex SHA-256.
func ContentKey(sha256Hex string) string { return contentPrefix + strings.ToLower(sha256Hex) }

// ContentSHA256 returns the SHA-256 a content-addressed key names, and
// whether key is one.
func ContentSHA256(key string) (string, bool) {
	sum, ok := strings.CutPrefix(key, contentPrefix)
	if !ok || len(sum) != 2*sha256.Size {
		return "", false
	}
	if _, err := hex.DecodeString(sum); err != nil || strings.ToLower(sum) != sum {
		return "", false
	}
	return sum, true
}
