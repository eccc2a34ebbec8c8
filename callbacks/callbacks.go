// Package callbacks signs and verifies firmaflow's own outbound webhooks,
// the notifications a process sends to the system that started it, in the
// Standard Webhooks style: headers webhook-id, webhook-timestamp and
// webhook-signature ("v1,<base64 HMAC-SHA256 of id.timestamp.body>"). The
// secret is "whsec_" followed by Base64. Receivers verify with Verify, which
// also refuses timestamps outside a tolerance (replays).
package callbacks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// DefaultTolerance is how far a timestamp may be from now.
const DefaultTolerance = 5 * time.Minute

// Errors Verify returns.
var (
	ErrMissingHeaders = errors.New("callbacks: missing webhook headers")
	ErrTimestamp      = errors.New("callbacks: timestamp outside the tolerance")
	ErrSignature      = errors.New("callbacks: no matching signature")
)

// Secret is a decoded signing secret.
type Secret []byte

// ParseSecret reads "whsec_<base64>".
func ParseSecret(s string) (Secret, error) {
	b64, ok := strings.CutPrefix(strings.TrimSpace(s), "whsec_")
	if !ok {
		return nil, errors.New("callbacks: secret must start with whsec_")
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(key) < 16 {
		return nil, errors.New("callbacks: secret must be whsec_ and at least 16 bytes of Base64")
	}
	return key, nil
}

// Sign returns the webhook-signature value for a message.
func (s Secret) Sign(id string, ts time.Time, body []byte) string {
	m := hmac.New(sha256.New, s)
	fmt.Fprintf(m, "%s.%d.", id, ts.Unix())
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Headers sets the three headers on h.
func (s Secret) Headers(h http.Header, id string, ts time.Time, body []byte) {
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(HeaderSignature, s.Sign(id, ts, body))
}

// Verify checks a received callback: headers present, timestamp within
// tolerance of now, and one of the (space-separated) signatures matching,
// compared in constant time.
func (s Secret) Verify(h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	id, tsRaw, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if id == "" || tsRaw == "" || sigs == "" {
		return ErrMissingHeaders
	}
	secs, err := strconv.ParseInt(tsRaw, 10, 64)
	if err != nil {
		return ErrTimestamp
	}
	ts := time.Unix(secs, 0)
	if ts.Before(now.Add(-tolerance)) || ts.After(now.Add(tolerance)) {
		return ErrTimestamp
	}
	want := []byte(s.Sign(id, ts, body))
	for _, sig := range strings.Fields(sigs) {
		if hmac.Equal([]byte(sig), want) {
			return nil
		}
	}
	return ErrSignature
}
