package docstore

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSegmentIsInjective: strings that a lossy mapping merged ('/' and '_',
// a cut at 100 bytes, "..") get different segments, and every segment is a
// valid, unescaped file name.
func TestSegmentIsInjective(t *testing.T) {
	long := strings.Repeat("r", 150)
	inputs := []string{
		"t/1", "t_1", "t\\1", "t%2F1", "t.1", "t..1", "t~1", "~", "", ".", "..", "...", ".hidden",
		"x/1", "x_1", "a\x00b", "a\x01b", "a b", "Ação.pdf", "A%C3%A7%C3%A3o.pdf",
		long + "-one", long + "-two", strings.Repeat("/", 300), strings.Repeat("_", 300), strings.Repeat("%", 300),
	}
	seen := map[string]string{}
	for _, in := range inputs {
		seg := Segment(in)
		if prev, dup := seen[seg]; dup {
			t.Fatalf("%q and %q share the segment %q", prev, in, seg)
		}
		seen[seg] = in
		require.NotEmpty(t, seg)
		require.LessOrEqual(t, len(seg), maxSegmentBytes, "%q", in)
		require.NoError(t, validKey("processes/"+seg+"/x"), "%q -> %q", in, seg)
		for _, c := range []byte(seg) {
			require.True(t, c > 0x20 && c < 0x7f && c != '/' && c != '\\', "%q -> %q", in, seg)
		}
		if !strings.Contains(seg, "~") {
			back, err := url.PathUnescape(seg)
			require.NoError(t, err)
			require.Equal(t, in, back, "reversible")
		}
	}
	require.Equal(t, "lease-2026-0042", Segment("lease-2026-0042"), "plain ids keep their keys")
	require.Equal(t, "lease.pdf", Segment("lease.pdf"))
}

func TestContentKeys(t *testing.T) {
	sum := sha256.Sum256([]byte("x"))
	h := hex.EncodeToString(sum[:])
	got, ok := ContentSHA256(ContentKey(h))
	require.True(t, ok)
	require.Equal(t, h, got)
	for _, k := range []string{"webhooks/sha256/" + h[:10], "webhooks/arqsign/r/00-signed-a.pdf", "webhooks/sha256/" + strings.ToUpper(h), "webhooks/sha256/" + h + "/x"} {
		_, ok := ContentSHA256(k)
		require.False(t, ok, k)
	}
}
