// Package cellosign is firmaflow's CelloSign provider: send as a Session
// (one recipient) or a Workflow (several recipients) through REST API v3,
// status and cancel, and the archive webhook (WHP_ARCHIVE), whose Base64
// files are streamed straight into the document store. Wire names are in
// wire.go, which says which come from CelloSign's docs and which firmaflow
// chose.
package cellosign

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/signing"
)

// Name is the provider's name in inputs, events and webhook URLs.
const Name = "cellosign"

// Options configure the client.
type Options struct {
	// BaseURL includes /api/v3, e.g. https://app.cellosign.com/api/v3.
	BaseURL string
	// Token is the access token (Authorization: Token …); Project the projectName.
	Token   string
	Project string
	// DownloadHosts may serve result documents; the API host always may.
	// (Archive files arrive inline, so downloads are rare.)
	DownloadHosts []string
	// AllowPrivateDownloads permits links on loopback or private addresses
	// (the simulators); never in production.
	AllowPrivateDownloads bool
	// ArchiveOnlyStart lands archives of processes firmaflow did not send
	// (providers.ArchiveOnlyStarter).
	ArchiveOnlyStart bool
	HTTPClient       *http.Client
}

// Client talks to CelloSign's REST API v3. It implements providers.Provider
// and providers.Webhook (not SignedWebhook: the archive carries no
// signature, the bridge checks the shared token instead).
type Client struct {
	opts     Options
	base     string
	http     *http.Client
	download providers.Downloader
}

var (
	_ providers.Provider = (*Client)(nil)
	_ providers.Webhook  = (*Client)(nil)
)

// New returns a client for the API at opts.BaseURL.
func New(opts Options) (*Client, error) {
	base, err := url.Parse(strings.TrimRight(opts.BaseURL, "/"))
	if err != nil || base.Host == "" || (base.Scheme != "https" && base.Scheme != "http") {
		return nil, fmt.Errorf("cellosign: invalid base URL %q", opts.BaseURL)
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 2 * time.Minute}
	}
	return &Client{opts: opts, base: base.String(), http: hc, download: providers.Downloader{
		AllowedHosts: append([]string{base.Host}, opts.DownloadHosts...), AllowPrivate: opts.AllowPrivateDownloads}}, nil
}

// Name implements providers.Provider.
func (c *Client) Name() string { return Name }

// ArchiveOnlyStart implements providers.ArchiveOnlyStarter.
func (c *Client) ArchiveOnlyStart() bool { return c.opts.ArchiveOnlyStart }

// ReferenceIsProcessID: CelloSign's reference is firmaflow's process id
// (Send sets it), so its webhooks are addressed to the process directly.
func (c *Client) ReferenceIsProcessID() {}

// Send opens a Session for one signer or a Workflow for several, with the
// process id as CelloSign's reference, which the archive webhook echoes, and
// returns that reference as the ProviderRef. The files are Base64-encoded
// into the body as they are read, never held whole.
func (c *Client) Send(ctx context.Context, req providers.SendRequest) (providers.SendResult, error) {
	in := req.Input
	if strings.TrimSpace(in.ProcessID) == "" {
		return providers.SendResult{}, c.invalid("send", "process id (CelloSign reference) is empty")
	}
	if len(in.Signers) == 0 || len(req.Documents) == 0 {
		return providers.SendResult{}, c.invalid("send", "CelloSign needs at least one recipient and one file")
	}
	// A retried send (the worker died between CelloSign's answer and the
	// activity's completion) finds the process it already opened.
	if _, _, found, err := c.find(ctx, in.ProcessID); err != nil {
		return providers.SendResult{}, err
	} else if found {
		return providers.SendResult{ProviderRef: in.ProcessID}, nil
	}
	head := CreateRequest{Reference: in.ProcessID, Name: in.Title, Message: in.Message}
	for i, s := range in.Signers {
		head.Recipients = append(head.Recipients, Recipient{ID: i + 1, Name: s.Name, Email: s.Email, Phone: s.Phone, Order: max(s.Order, 1)})
	}
	path := pathWorkflows
	if len(in.Signers) == 1 {
		path = pathSessions
	}
	raw, err := json.Marshal(head)
	if err != nil {
		return providers.SendResult{}, fmt.Errorf("cellosign: send: %w", err)
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(writeCreateBody(ctx, pw, raw, req.Documents)) }()
	var out Process
	if err := c.do(ctx, http.MethodPost, "send", path, nil, pr, &out); err != nil {
		pr.CloseWithError(err)
		return providers.SendResult{}, err
	}
	pr.Close()
	if out.Reference != "" && out.Reference != in.ProcessID {
		return providers.SendResult{}, &providers.APIError{Provider: Name, Op: "send", StatusCode: http.StatusBadGateway,
			Message: fmt.Sprintf("CelloSign answered reference %q, not %q", out.Reference, in.ProcessID)}
	}
	return providers.SendResult{ProviderRef: in.ProcessID}, nil
}

// writeCreateBody writes head (a JSON object without files) with a "files"
// array spliced in, each file streamed as Base64.
func writeCreateBody(ctx context.Context, w io.Writer, head []byte, docs []providers.Document) error {
	head = head[:len(head)-1] // the closing brace
	if _, err := fmt.Fprintf(w, `%s,"files":[`, head); err != nil {
		return err
	}
	for i, d := range docs {
		name, _ := json.Marshal(d.Name)
		ct := d.ContentType
		if ct == "" {
			ct = "application/pdf"
		}
		mime, _ := json.Marshal(ct)
		sep := ","
		if i == 0 {
			sep = ""
		}
		if _, err := fmt.Fprintf(w, `%s{"filename":%s,"mimetype":%s,"content":"`, sep, name, mime); err != nil {
			return err
		}
		if err := providers.WriteBase64(ctx, w, d); err != nil {
			return fmt.Errorf("cellosign: send: document %s: %w", d.Name, err)
		}
		if _, err := io.WriteString(w, `"}`); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, "]}")
	return err
}

// find looks a process up by its reference: sessions first, then workflows.
func (c *Client) find(ctx context.Context, ref string) (Process, string, bool, error) {
	q := url.Values{queryReference: {ref}, queryPageSize: {"1"}}
	for _, path := range []string{pathSessions, pathWorkflows} {
		var list ProcessList
		if err := c.do(ctx, http.MethodGet, "find", path, q, nil, &list); err != nil {
			return Process{}, "", false, err
		}
		for _, p := range list.Results {
			if p.Reference == ref {
				return p, path, true, nil
			}
		}
	}
	return Process{}, "", false, nil
}

func (c *Client) mustFind(ctx context.Context, op, ref string) (Process, string, error) {
	p, path, found, err := c.find(ctx, ref)
	if err != nil {
		return p, path, err
	}
	if !found {
		return p, path, &providers.APIError{Provider: Name, Op: op, StatusCode: http.StatusNotFound, Message: "no session or workflow with reference " + ref}
	}
	return p, path, nil
}

// Resend: the REST API v3 offers no re-invitation.
func (c *Client) Resend(context.Context, string) error {
	return providers.Unsupported(Name, "resend", "REST API v3 has no re-invitation call (sessions and workflows support GET, POST and DELETE only)")
}

// Renew: the REST API v3 offers no new deadline.
func (c *Client) Renew(context.Context, string, int) error {
	return providers.Unsupported(Name, "renew", "REST API v3 has no call to extend a session's or workflow's deadline")
}

// Cancel deletes the session or workflow. A process already deleted counts
// as cancelled; one already submitted cannot be (a final 4xx).
func (c *Client) Cancel(ctx context.Context, ref, _ string) error {
	p, path, err := c.mustFind(ctx, "cancel", ref)
	if err != nil {
		return err
	}
	if p.Status == StatusDeleted {
		return nil
	}
	err = c.do(ctx, http.MethodDelete, "cancel", path+"/"+url.PathEscape(p.ID), nil, nil, nil)
	var apiErr *providers.APIError
	if errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusNotFound {
		// Deleted meanwhile (a retried cancel): check.
		if p2, _, found, ferr := c.find(ctx, ref); ferr == nil && (!found || p2.Status == StatusDeleted) {
			return nil
		}
	}
	return err
}

// Status reads the session or workflow.
func (c *Client) Status(ctx context.Context, ref string) (signing.Status, error) {
	p, _, err := c.mustFind(ctx, "status", ref)
	if err != nil {
		return "", err
	}
	return MapStatus(p.Status), nil
}

// MapStatus translates CelloSign's status into firmaflow's.
func MapStatus(s string) signing.Status {
	switch strings.ToLower(s) {
	case StatusSubmitted:
		return signing.StatusCompleted
	case StatusDeleted:
		return signing.StatusCancelled
	case StatusExpired:
		return signing.StatusExpired
	}
	return signing.StatusAwaitingSignatures
}

// Download opens a document announced by link. Archive files arrive inline
// and are stored by the parser, so only URL documents are downloaded.
func (c *Client) Download(ctx context.Context, doc signing.EventDocument) (io.ReadCloser, error) {
	if doc.URL == "" {
		return nil, c.invalid("download", "document %s has no link (archive files are stored when the webhook arrives)", doc.Name)
	}
	return c.download.Open(ctx, Name, doc.URL, http.Header{headerAuthorization: {authScheme + c.opts.Token}})
}

func (c *Client) do(ctx context.Context, method, op, path string, q url.Values, body io.Reader, out any) error {
	if q == nil {
		q = url.Values{}
	}
	q.Set(queryProject, c.opts.Project)
	req, err := http.NewRequestWithContext(ctx, method, c.base+path+"?"+q.Encode(), body)
	if err != nil {
		return fmt.Errorf("cellosign: %s %s: %w", method, path, err)
	}
	req.Header.Set(headerAuthorization, authScheme+c.opts.Token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := providers.Call(c.http, Name, op, req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		return nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 4<<20)).Decode(out); err != nil {
		return &providers.APIError{Provider: Name, Op: op, StatusCode: resp.StatusCode, Message: "unreadable answer", Err: err}
	}
	return nil
}

func (c *Client) invalid(op, format string, args ...any) error {
	return &providers.APIError{Provider: Name, Op: op, StatusCode: http.StatusBadRequest, Message: fmt.Sprintf(format, args...)}
}
