// Package cellosign is firmaflow's CelloSign provider: send as a Session
// (one recipient) or a Workflow (several) through REST API v3, status and
// cancel, and the archive webhook (WHP_ARCHIVE), whose Base64 files are
// streamed straight into the document store. Wire names are in wire.go.
package cellosign

import (
	"bytes"
	"context"
	"encoding/json"
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
	BaseURL               string
	Token                 string
	Project               string
	DownloadHosts         []string
	AllowPrivateDownloads bool
	HTTPClient            *http.Client
}

// Client talks to CelloSign. It implements providers.Provider and providers.Webhook.
type Client struct {
	opts     Options
	base     string
	http     *http.Client
	download providers.Downloader
}

// New returns a client.
func New(opts Options) (*Client, error) {
	base, err := url.Parse(strings.TrimRight(opts.BaseURL, "/"))
	if err != nil || base.Host == "" {
		return nil, fmt.Errorf("cellosign: invalid base URL %q", opts.BaseURL)
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 2 * time.Minute}
	}
	return &Client{opts: opts, base: base.String(), http: hc, download: providers.Downloader{Client: hc,
		AllowedHosts: append([]string{base.Host}, opts.DownloadHosts...), AllowPrivate: opts.AllowPrivateDownloads}}, nil
}

// Name implements providers.Provider.
func (c *Client) Name() string { return Name }

// Send opens a Session for one signer or a Workflow for several, with the
// process id as CelloSign's reference, which the archive webhook echoes. The
// files are streamed into the body as Base64.
func (c *Client) Send(ctx context.Context, req providers.SendRequest) (providers.SendResult, error) {
	in := req.Input
	// A retry after a worker died between CelloSign's answer and the
	// activity's completion finds the process it already opened.
	if _, _, err := c.find(ctx, in.ProcessID); err == nil {
		return providers.SendResult{ProviderRef: in.ProcessID}, nil
	}
	head := CreateRequest{Reference: in.ProcessID, Name: in.Title, Message: in.Message}
	for i, s := range in.Signers {
		head.Recipients = append(head.Recipients, Recipient{ID: i + 1, Name: s.Name, Email: s.Email, Phone: s.Phone, Order: s.Order})
	}
	path := pathWorkflows
	if len(in.Signers) == 1 {
		path = pathSessions
	}
	raw, _ := json.Marshal(head)
	raw = bytes.TrimSuffix(bytes.TrimSpace(raw), []byte("}"))
	raw = bytes.Replace(raw, []byte(`,"files":null`), nil, 1)
	pr, pw := io.Pipe()
	go func() {
		pw.CloseWithError(func() error {
			if _, err := fmt.Fprintf(pw, `%s,"files":[`, raw); err != nil {
				return err
			}
			for i, d := range req.Documents {
				name, _ := json.Marshal(d.Name)
				sep := ","
				if i == 0 {
					sep = ""
				}
				if _, err := fmt.Fprintf(pw, `%s{"filename":%s,"mimetype":"application/pdf","content":"`, sep, name); err != nil {
					return err
				}
				if err := providers.WriteBase64(ctx, pw, d); err != nil {
					return fmt.Errorf("cellosign: send %s: %w", d.Name, err)
				}
				if _, err := io.WriteString(pw, `"}`); err != nil {
					return err
				}
			}
			_, err := io.WriteString(pw, "]}")
			return err
		}())
	}()
	var out Process
	if err := c.do(ctx, http.MethodPost, "send", path, pr, &out); err != nil {
		pr.CloseWithError(err)
		return providers.SendResult{}, err
	}
	return providers.SendResult{ProviderRef: in.ProcessID}, nil
}

// find looks a process up by its reference (sessions, then workflows).
func (c *Client) find(ctx context.Context, ref string) (Process, string, error) {
	for _, path := range []string{pathSessions, pathWorkflows} {
		var list ProcessList
		if err := c.do(ctx, http.MethodGet, "find", path+"?reference="+url.QueryEscape(ref), nil, &list); err != nil {
			return Process{}, "", err
		}
		if len(list.Results) > 0 {
			return list.Results[0], path, nil
		}
	}
	return Process{}, "", &providers.APIError{Provider: Name, Op: "find", StatusCode: http.StatusNotFound, Message: "no session or workflow with reference " + ref}
}

// Resend is not offered by the API firmaflow uses.
func (c *Client) Resend(context.Context, string) error {
	return providers.Unsupported(Name, "resend", "CelloSign reports only finished processes (archive), so no delivery failure reaches firmaflow")
}

// Renew is not offered by the API firmaflow uses.
func (c *Client) Renew(context.Context, string, int) error {
	return providers.Unsupported(Name, "renew", "no expiry is reported through the archive webhook")
}

// Cancel deletes the session or workflow.
func (c *Client) Cancel(ctx context.Context, ref, _ string) error {
	p, path, err := c.find(ctx, ref)
	if err != nil {
		return err
	}
	return c.do(ctx, http.MethodDelete, "cancel", path+"/"+url.PathEscape(p.ID), nil, nil)
}

// Status reads the session or workflow.
func (c *Client) Status(ctx context.Context, ref string) (signing.Status, error) {
	p, _, err := c.find(ctx, ref)
	if err != nil {
		return "", err
	}
	switch p.Status {
	case StatusSubmitted:
		return signing.StatusCompleted, nil
	case StatusDeleted:
		return signing.StatusCancelled, nil
	}
	return signing.StatusAwaitingSignatures, nil
}

// Download is for URL documents only: archive files arrive inline.
func (c *Client) Download(ctx context.Context, doc signing.EventDocument) (io.ReadCloser, error) {
	if doc.URL == "" {
		return nil, &providers.APIError{Provider: Name, Op: "download", StatusCode: http.StatusBadRequest, Message: "no link: archive files are stored by the bridge"}
	}
	return c.download.Open(ctx, Name, doc.URL, nil)
}

func (c *Client) do(ctx context.Context, method, op, path string, body io.Reader, out any) error {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path+sep+queryProject+"="+url.QueryEscape(c.opts.Project), body)
	if err != nil {
		return err
	}
	req.Header.Set(headerAuthorization, "Token "+c.opts.Token)
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
		return &providers.APIError{Provider: Name, Op: op, StatusCode: http.StatusBadGateway, Message: "unreadable answer", Err: err}
	}
	return nil
}
