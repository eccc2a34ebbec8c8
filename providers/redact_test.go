package providers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://bucket.s3.amazonaws.com/a.pdf?X-Amz-Signature=abc&X-Amz-Credential=AKIA": "https://bucket.s3.amazonaws.com/a.pdf?[redacted]",
		"https://user:pass@docs.example.com/a.pdf":                                        "https://docs.example.com/a.pdf",
		"http://token@127.0.0.1:9/x?sig=1#frag":                                           "http://127.0.0.1:9/x?[redacted]",
		"https://docs.example.com/a.pdf":                                                  "https://docs.example.com/a.pdf",
		"https://docs.example.com/a.pdf#page=2":                                           "https://docs.example.com/a.pdf",
		"https://u:p@exa mple.com/?sig=1":                                                 "[unparseable URL]",
	} {
		require.Equal(t, want, RedactURL(in), in)
	}
}

// closedAddr is a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// requireNoCapability fails when an error's text carries a URL's secret parts.
func requireNoCapability(t *testing.T, err error, secrets ...string) {
	t.Helper()
	require.Error(t, err)
	for e := err; e != nil; e = errors.Unwrap(e) {
		for _, s := range secrets {
			require.NotContains(t, e.Error(), s)
			require.NotContains(t, fmt.Sprintf("%+v", e), s)
		}
	}
}

// TestTransportErrorsCarryNoCapabilities: a failed call's error names the
// URL without its query string or userinfo, which may be a presigned
// signature or a password.
func TestTransportErrorsCarryNoCapabilities(t *testing.T) {
	raw := "http://alice:s3cr3t-pw@" + closedAddr(t) + "/doc.pdf?X-Amz-Signature=deadbeef&X-Amz-Credential=AKIAEXAMPLE"
	req, err := http.NewRequest(http.MethodGet, raw, nil)
	require.NoError(t, err)
	_, err = Call(OutboundClient(true), "p", "download", req)
	requireNoCapability(t, err, "deadbeef", "AKIAEXAMPLE", "X-Amz", "s3cr3t-pw", "alice")
	require.ErrorContains(t, err, "/doc.pdf", "the error still says which URL failed")

	u, _ := url.Parse(raw)
	_, err = Downloader{AllowedHosts: []string{u.Host}, AllowPrivate: true}.Open(context.Background(), "p", raw, nil)
	requireNoCapability(t, err, "deadbeef", "AKIAEXAMPLE", "X-Amz", "s3cr3t-pw", "alice")

	// Refused at dial time: the error names the address, not the URL.
	_, err = Downloader{AllowedHosts: []string{u.Host}}.Open(context.Background(), "p", raw, nil)
	require.ErrorIs(t, err, ErrPrivateAddress)
	requireNoCapability(t, err, "deadbeef", "AKIAEXAMPLE", "X-Amz", "s3cr3t-pw", "alice")
}

func TestRedactErrorURLsReachesWrappedErrors(t *testing.T) {
	inner := &url.Error{Op: "Get", URL: "https://x.example/a?sig=topsecret", Err: errors.New("boom")}
	err := RedactErrorURLs(&APIError{Provider: "p", Op: "download", Err: errors.Join(errors.New("other"), inner)})
	requireNoCapability(t, err, "topsecret")
	require.ErrorContains(t, err, "https://x.example/a?[redacted]")
	require.Nil(t, RedactErrorURLs(nil))
}
