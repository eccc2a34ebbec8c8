package providers

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"time"
)

// maxErrorBody bounds how much of an error response is kept as the message.
const maxErrorBody = 4 << 10

// Call performs req and turns transport failures and non-2xx answers into
// *APIError. On success the caller owns the response body.
func Call(client *http.Client, provider, op string, req *http.Request) (*http.Response, error) {
	resp, err := client.Do(req)
	if err != nil {
		return nil, &APIError{Provider: provider, Op: op, Err: err}
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp, nil
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	return nil, &APIError{
		Provider:   provider,
		Op:         op,
		StatusCode: resp.StatusCode,
		Message:    strings.TrimSpace(string(body)),
		RetryAfter: ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
	}
}

// WriteBase64 streams a document's bytes into w as standard Base64, so a
// provider whose API takes files inside JSON never holds a file whole.
func WriteBase64(ctx context.Context, w io.Writer, d Document) error {
	r, err := d.Open(ctx)
	if err != nil {
		return err
	}
	defer r.Close()
	enc := base64.NewEncoder(base64.StdEncoding, w)
	if _, err := io.Copy(enc, r); err != nil {
		return err
	}
	return enc.Close()
}

// OutboundClient is the client for calls to addresses that come from
// outside (document links, callback URLs): with allowPrivate false it
// refuses internal addresses at dial time and follows no redirect.
func OutboundClient(allowPrivate bool) *http.Client {
	if allowPrivate {
		return &http.Client{Timeout: time.Minute, CheckRedirect: guardedClient.CheckRedirect}
	}
	return guardedClient
}

// Downloader fetches result documents only from hosts a provider is known
// to serve them from, so a forged or tampered webhook cannot make firmaflow
// fetch arbitrary URLs (SSRF).
type Downloader struct {
	Client *http.Client
	// AllowedHosts are host names (or host:port) documents may come from.
	AllowedHosts []string
	// MaxBytes caps a download; 0 means 200 MiB.
	MaxBytes int64
	// AllowPrivate permits loopback, private and link-local addresses
	// (the simulators on localhost); off, such addresses are refused even
	// when an allowed host name resolves to one (DNS rebinding).
	AllowPrivate bool
}

// ErrPrivateAddress is a download refused because its address is internal.
var ErrPrivateAddress = errors.New("address is loopback, private or link-local")

// publicOnly refuses connections to internal addresses at dial time, after
// name resolution, so a host name cannot be pointed inward.
func publicOnly(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return err
	}
	ip = ip.Unmap()
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsUnspecified() || ip.IsMulticast() {
		return fmt.Errorf("dial %s: %w", address, ErrPrivateAddress)
	}
	return nil
}

var guardedClient = &http.Client{
	Timeout: 10 * time.Minute,
	Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, Control: publicOnly}).DialContext,
		TLSHandshakeTimeout:   15 * time.Second,
		ResponseHeaderTimeout: time.Minute,
		MaxIdleConnsPerHost:   4,
	},
	// A redirect must not lead a download out of the allowed hosts.
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// Open starts downloading rawURL and returns its body, capped in size.
func (d Downloader) Open(ctx context.Context, provider, rawURL string, header http.Header) (io.ReadCloser, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, &APIError{Provider: provider, Op: "download", StatusCode: http.StatusBadRequest, Message: "document URL is not http(s)"}
	}
	if !d.allowed(u) {
		return nil, &APIError{Provider: provider, Op: "download", StatusCode: http.StatusForbidden,
			Message: fmt.Sprintf("document host %q is not an allowed download host", u.Host)}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	client := guardedClient
	if d.AllowPrivate {
		client = d.Client
		if client == nil {
			client = http.DefaultClient
		}
	}
	resp, err := Call(client, provider, "download", req)
	if errors.Is(err, ErrPrivateAddress) {
		return nil, &APIError{Provider: provider, Op: "download", StatusCode: http.StatusForbidden, Message: "document host resolves to an internal address", Err: err}
	}
	if err != nil {
		return nil, err
	}
	limit := d.MaxBytes
	if limit <= 0 {
		limit = 200 << 20
	}
	return &cappedBody{r: io.LimitReader(resp.Body, limit+1), c: resp.Body, left: limit, provider: provider}, nil
}

func (d Downloader) allowed(u *url.URL) bool {
	host := strings.ToLower(u.Host)
	hostname := strings.ToLower(u.Hostname())
	return slices.ContainsFunc(d.AllowedHosts, func(h string) bool {
		h = strings.ToLower(strings.TrimSpace(h))
		if _, _, err := net.SplitHostPort(h); err == nil {
			return h == host
		}
		return h == hostname
	})
}

// cappedBody fails the read that passes the size cap instead of silently
// truncating a document.
type cappedBody struct {
	r        io.Reader
	c        io.Closer
	left     int64
	provider string
}

func (b *cappedBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return n, &APIError{Provider: b.provider, Op: "download", StatusCode: http.StatusRequestEntityTooLarge, Message: "document exceeds the size cap"}
	}
	return n, err
}

func (b *cappedBody) Close() error { return b.c.Close() }
