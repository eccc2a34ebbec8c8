package providers

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestRetryableClassification(t *testing.T) {
	for code, want := range map[int]bool{0: true, 408: true, 429: true, 500: true, 503: true, 400: false, 401: false, 404: false, 422: false} {
		require.Equal(t, want, (&APIError{StatusCode: code}).Retryable(), code)
	}
	require.False(t, IsRetryable(Invalid("x", "bad")))
	require.True(t, IsRetryable(errors.New("store hiccup")))
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	require.Equal(t, 30*time.Second, ParseRetryAfter("30", now))
	require.Equal(t, time.Minute, ParseRetryAfter(now.Add(time.Minute).Format(http.TimeFormat), now))
	require.Zero(t, ParseRetryAfter("", now))
	require.Zero(t, ParseRetryAfter("soon", now))
}

func TestDownloaderCapsSizeAndChecksHosts(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, strings.Repeat("x", 100))
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	_, err := Downloader{AllowedHosts: []string{host}}.Open(context.Background(), "p", srv.URL+"/doc", nil)
	require.ErrorContains(t, err, "internal address", "loopback is refused unless allowed")
	require.False(t, IsRetryable(err))

	d := Downloader{AllowedHosts: []string{host}, MaxBytes: 50, AllowPrivate: true}
	body, err := d.Open(context.Background(), "p", srv.URL+"/doc", nil)
	require.NoError(t, err)
	_, err = io.ReadAll(body)
	require.ErrorContains(t, err, "size cap", "a too large document fails instead of being truncated")

	d.MaxBytes = 100
	body, err = d.Open(context.Background(), "p", srv.URL+"/doc", nil)
	require.NoError(t, err)
	b, err := io.ReadAll(body)
	require.NoError(t, err)
	require.Len(t, b, 100)

	_, err = Downloader{AllowedHosts: []string{"example.com"}, AllowPrivate: true}.Open(context.Background(), "p", srv.URL+"/doc", nil)
	require.ErrorContains(t, err, "not an allowed download host")
}

func TestStripTrailingCommas(t *testing.T) {
	for in, want := range map[string]string{
		`{"a":1,}`:               `{"a":1}`,
		"[1,2,\n ]":              "[1,2\n ]",
		`{"s":"x,}","t":[{},],}`: `{"s":"x,}","t":[{}]}`,
		`{"s":"q\",}"}`:          `{"s":"q\",}"}`,
		`{"a":1,"b":2}`:          `{"a":1,"b":2}`,
	} {
		require.Equal(t, want, string(StripTrailingCommas([]byte(in))), in)
	}
}
