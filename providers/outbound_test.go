package providers

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPublicOnlyRefusesInternalAddresses covers the reserved ranges an
// attacker can point a document or callback host at, including the ones a
// hand-made list missed: CGNAT (and the cloud metadata address in it),
// 0.0.0.0/8, benchmarking, IETF protocol assignments, class E and broadcast,
// NAT64, 6to4, IPv4-compatible IPv6 and site-local IPv6.
func TestPublicOnlyRefusesInternalAddresses(t *testing.T) {
	for _, addr := range []string{
		"127.0.0.1:80", "10.1.2.3:80", "172.16.0.1:80", "192.168.1.1:80", "169.254.169.254:80", "0.0.0.0:80",
		"100.64.0.1:80", "100.100.100.200:80", "0.1.2.3:80", "198.18.0.1:443", "198.19.255.255:443",
		"192.0.0.8:443", "240.0.0.1:443", "255.255.255.255:443", "224.0.0.1:80",
	} {
		require.ErrorIs(t, publicOnly("tcp4", addr, nil), ErrPrivateAddress, addr)
	}
	for _, addr := range []string{
		"[::1]:443", "[::ffff:127.0.0.1]:80", "[64:ff9b::a9fe:a9fe]:80", "[2002:7f00:1::1]:80",
		"[::7f00:1]:80", "[::127.0.0.1]:80", "[fec0::1]:80", "[fe80::1]:80", "[fc00::1]:80", "[ff02::1]:80",
	} {
		require.ErrorIs(t, publicOnly("tcp6", addr, nil), ErrPrivateAddress, addr)
	}
	require.NoError(t, publicOnly("tcp4", "93.184.215.14:443", nil))
	require.NoError(t, publicOnly("tcp4", "93.184.215.14:8443", nil), "the host allowlist, not the guard, decides ports")
	require.NoError(t, publicOnly("tcp6", "[2606:2800:21f:cb07:6820:80da:af6b:8b2c]:443", nil))
}

// proxyChildEnv marks the child process of TestDownloadsIgnoreTheEnvironmentProxy:
// net/http reads the proxy variables once per process, so the test sets them
// in a fresh one.
const proxyChildEnv = "FIRMAFLOW_TEST_PROXY_CHILD"

// TestDownloadsIgnoreTheEnvironmentProxy: a proxy from HTTP_PROXY would
// dial on firmaflow's behalf, past the dial-time check, so downloads and
// callbacks never use one.
func TestDownloadsIgnoreTheEnvironmentProxy(t *testing.T) {
	if os.Getenv(proxyChildEnv) != "" {
		downloadThroughEnvironmentProxy(t)
		return
	}
	var proxied atomic.Int32
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxied.Add(1)
		io.WriteString(w, "served by the proxy")
	}))
	defer proxy.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestDownloadsIgnoreTheEnvironmentProxy$", "-test.count=1")
	cmd.Env = append(os.Environ(), proxyChildEnv+"=1", "HTTP_PROXY="+proxy.URL, "HTTPS_PROXY="+proxy.URL, "NO_PROXY=")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Zero(t, proxied.Load(), "the proxy from the environment was used")
}

func downloadThroughEnvironmentProxy(t *testing.T) {
	for _, allowPrivate := range []bool{false, true} {
		d := Downloader{AllowedHosts: []string{"docs.firmaflow.invalid"}, AllowPrivate: allowPrivate}
		body, err := d.Open(context.Background(), "p", "http://docs.firmaflow.invalid/doc", nil)
		if err == nil {
			body.Close()
		}
		require.Error(t, err, "allowPrivate=%v: the host does not exist; only a proxy could answer", allowPrivate)
		req, _ := http.NewRequest(http.MethodPost, "http://hooks.firmaflow.invalid/x", strings.NewReader("{}"))
		resp, err := Call(OutboundClient(allowPrivate), "callback", "notify", req)
		if err == nil {
			resp.Body.Close()
		}
		require.Error(t, err, "allowPrivate=%v: callbacks neither", allowPrivate)
	}
}

// TestDownloadRedirectsStayOnTheAllowlist: an allowed host may redirect to
// another allowed host, never elsewhere, even with private addresses
// allowed (the dev switch).
func TestDownloadRedirectsStayOnTheAllowlist(t *testing.T) {
	var elsewhereHits atomic.Int32
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhereHits.Add(1)
		io.WriteString(w, "internal secrets")
	}))
	defer elsewhere.Close()
	allowed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/off":
			http.Redirect(w, r, elsewhere.URL+"/latest/meta-data", http.StatusFound)
		case "/on":
			http.Redirect(w, r, "/doc", http.StatusFound)
		case "/scheme":
			http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
		default:
			io.WriteString(w, "document")
		}
	}))
	defer allowed.Close()
	d := Downloader{AllowedHosts: []string{strings.TrimPrefix(allowed.URL, "http://")}, AllowPrivate: true}

	body, err := d.Open(context.Background(), "p", allowed.URL+"/on", nil)
	require.NoError(t, err, "a redirect within the allowed host is followed")
	b, _ := io.ReadAll(body)
	body.Close()
	require.Equal(t, "document", string(b))

	for _, path := range []string{"/off", "/scheme"} {
		body, err = d.Open(context.Background(), "p", allowed.URL+path, nil)
		if err == nil {
			b, _ := io.ReadAll(body)
			body.Close()
			t.Fatalf("%s: followed the redirect, got %q", path, b)
		}
		require.ErrorContains(t, err, "redirect", path)
		require.False(t, IsRetryable(err), "%s: a refused redirect is final", path)
	}
	require.Zero(t, elsewhereHits.Load(), "the host off the allowlist was never asked")
}

// TestDownloadRedirectNeverDowngradesToHTTP: a document fetched over https
// (with a provider's token in its headers) is not followed onto http.
func TestDownloadRedirectNeverDowngradesToHTTP(t *testing.T) {
	d := Downloader{AllowedHosts: []string{"docs.example.com"}}
	from, _ := http.NewRequest(http.MethodGet, "https://docs.example.com/a", nil)
	to, _ := http.NewRequest(http.MethodGet, "http://docs.example.com/b", nil)
	require.Error(t, d.checkRedirect(to, []*http.Request{from}))
	to, _ = http.NewRequest(http.MethodGet, "https://docs.example.com/b", nil)
	require.NoError(t, d.checkRedirect(to, []*http.Request{from}))
}

// TestHostAllowedMatchesHostAndPort: an entry without a port allows the
// scheme's default port only, so an allowed name does not open its other
// services.
func TestHostAllowedMatchesHostAndPort(t *testing.T) {
	entries := []string{"docs.example.com", "files.example.com:8443", "[2001:db8::1]:9000", "v6.example"}
	for raw, want := range map[string]bool{
		"https://docs.example.com/a":       true,
		"https://DOCS.example.com:443/a":   true,
		"http://docs.example.com/a":        true,
		"https://docs.example.com:8443/a":  false,
		"http://docs.example.com:6379/a":   false,
		"https://files.example.com:8443/a": true,
		"https://files.example.com/a":      false,
		"http://[2001:db8::1]:9000/a":      true,
		"http://[2001:db8::1]/a":           false,
		"https://evil.example/a":           false,
		"https://docs.example.com.evil/a":  false,
		"ftp://docs.example.com/a":         false,
	} {
		u, err := url.Parse(raw)
		require.NoError(t, err)
		require.Equal(t, want, HostAllowed(u, entries), raw)
	}
}

// TestDownloadHostWithoutPortAllowsTheDefaultPortOnly: the allowlist entry
// "127.0.0.1" does not open every service on that address.
func TestDownloadHostWithoutPortAllowsTheDefaultPortOnly(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "x") }))
	defer srv.Close()
	body, err := Downloader{AllowedHosts: []string{"127.0.0.1"}, AllowPrivate: true}.Open(context.Background(), "p", srv.URL+"/doc", nil)
	if err == nil {
		body.Close()
	}
	require.ErrorContains(t, err, "not an allowed download host")
	require.False(t, IsRetryable(err))
}
