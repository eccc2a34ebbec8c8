package callbacks

import (
	"encoding/base64"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var secret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))

func TestSignVerifyRoundTrip(t *testing.T) {
	s, err := ParseSecret(secret)
	require.NoError(t, err)
	now := time.Unix(1795500000, 0)
	body := []byte(`{"type":"process.ended"}`)
	h := http.Header{}
	s.Headers(h, "msg_1", now, body)
	require.NoError(t, s.Verify(h, body, now.Add(time.Minute), DefaultTolerance))

	require.ErrorIs(t, s.Verify(h, []byte(`{"type":"other"}`), now, DefaultTolerance), ErrSignature)
	require.ErrorIs(t, s.Verify(h, body, now.Add(10*time.Minute), DefaultTolerance), ErrTimestamp, "a replay past the window")
	require.ErrorIs(t, s.Verify(h, body, now.Add(-10*time.Minute), DefaultTolerance), ErrTimestamp, "from the future")
	other, _ := ParseSecret("whsec_" + base64.StdEncoding.EncodeToString([]byte("another-secret-of-32-bytes-long!")))
	require.ErrorIs(t, other.Verify(h, body, now, DefaultTolerance), ErrSignature)
	require.ErrorIs(t, s.Verify(http.Header{}, body, now, DefaultTolerance), ErrMissingHeaders)

	// Several signatures (key rotation): any match passes.
	h.Set(HeaderSignature, "v1,bm9wZQ== "+h.Get(HeaderSignature))
	require.NoError(t, s.Verify(h, body, now, DefaultTolerance))
}

// A fixed vector, computed independently (Python hmac), so a change of
// the signing scheme cannot go unnoticed.
func TestKnownVector(t *testing.T) {
	s, _ := ParseSecret(secret)
	require.Equal(t, "v1,2MiNefkznlsQEyoAxXL/XDc5ryueMMSEch3UIqpicXs=",
		s.Sign("msg_1", time.Unix(1795500000, 0), []byte(`{"type":"process.ended"}`)))
}

func TestParseSecret(t *testing.T) {
	for _, bad := range []string{"", "abc", "whsec_!!", "whsec_" + base64.StdEncoding.EncodeToString([]byte("short"))} {
		_, err := ParseSecret(bad)
		require.Error(t, err, bad)
	}
}
