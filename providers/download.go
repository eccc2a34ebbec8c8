package providers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// maxDownloadRedirects bounds how many allowed redirects a download follows.
const maxDownloadRedirects = 5

// Downloader fetches result documents only from hosts a provider is known
// to serve them from, so a forged or tampered webhook cannot make firmaflow
// fetch arbitrary URLs (SSRF). It never uses a proxy from the environment,
// and follows a redirect only onto an allowed host.
type Downloader struct {
	// AllowedHosts are the hosts documents may come from (see HostAllowed
	// for how ports match).
	AllowedHosts []string
	// MaxBytes caps a download; 0 means 200 MiB.
	MaxBytes int64
	// AllowPrivate permits loopback, private and link-local addresses
	// (the simulators on localhost); off, such addresses are refused even
	// when an allowed host name resolves to one (DNS rebinding).
	AllowPrivate bool
}

// refusedRedirect is a redirect the downloader will not follow.
type refusedRedirect struct{ reason string }

func (e *refusedRedirect) Error() string { return "redirect refused: " + e.reason }

// Open starts downloading rawURL and returns its body, capped in size.
func (d Downloader) Open(ctx context.Context, provider, rawURL string, header http.Header) (io.ReadCloser, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, &APIError{Provider: provider, Op: "download", StatusCode: http.StatusBadRequest, Message: "document URL is not http(s)"}
	}
	if !HostAllowed(u, d.AllowedHosts) {
		return nil, &APIError{Provider: provider, Op: "download", StatusCode: http.StatusForbidden,
			Message: fmt.Sprintf("document host %q is not an allowed download host", u.Host)}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, RedactErrorURLs(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	client := &http.Client{Timeout: 10 * time.Minute, Transport: outboundTransport(d.AllowPrivate), CheckRedirect: d.checkRedirect}
	resp, err := Call(client, provider, "download", req)
	var refused *refusedRedirect
	switch {
	case errors.Is(err, ErrPrivateAddress):
		return nil, &APIError{Provider: provider, Op: "download", StatusCode: http.StatusForbidden, Message: "document host resolves to an internal address", Err: err}
	case errors.As(err, &refused):
		return nil, &APIError{Provider: provider, Op: "download", StatusCode: http.StatusForbidden, Message: refused.Error()}
	case err != nil:
		return nil, err
	}
	limit := d.MaxBytes
	if limit <= 0 {
		limit = 200 << 20
	}
	return &cappedBody{r: io.LimitReader(resp.Body, limit+1), c: resp.Body, left: limit, provider: provider}, nil
}

// checkRedirect applies Open's checks to every redirect, in every mode, and
// refuses a step down from https to http (headers may carry a token).
func (d Downloader) checkRedirect(req *http.Request, via []*http.Request) error {
	switch {
	case len(via) >= maxDownloadRedirects:
		return &refusedRedirect{reason: fmt.Sprintf("more than %d redirects", maxDownloadRedirects)}
	case req.URL.Scheme != "https" && req.URL.Scheme != "http":
		return &refusedRedirect{reason: "target is not http(s)"}
	case !HostAllowed(req.URL, d.AllowedHosts):
		return &refusedRedirect{reason: fmt.Sprintf("host %q is not an allowed download host", req.URL.Host)}
	case len(via) > 0 && via[len(via)-1].URL.Scheme == "https" && req.URL.Scheme != "https":
		return &refusedRedirect{reason: "from https to http"}
	}
	return nil
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
