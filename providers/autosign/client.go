// Package autosign is firmaflow's Autosign provider: OAuth with automatic
// refresh, the multi-step send (upload, create, documents or templates,
// recipients, signature fields, start), status, sealed-document downloads,
// webhook registration and the webhook parser. Wire names are kept in
// wire.go, which says which come from Autosign's document and which
// firmaflow chose.
package autosign

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/signing"
)

// Name is the provider's name in inputs, events and webhook URLs.
const Name = "autosign"

// Options configure the client.
type Options struct {
	BaseURL      string
	ClientID     string
	ClientSecret string
	// RefreshToken comes from the one-time code exchange (ExchangeCode).
	RefreshToken string
	// Credentials keeps the refresh token Autosign rotates where every
	// worker sees it (the document store); without it the rotated token
	// lives in this process only.
	Credentials providers.CredentialStore
	// WebhookURL is the bridge's /webhooks/autosign with ?token=<secret>;
	// each transaction's notification_endpoint adds /process/<process id>.
	WebhookURL string
	// SenderName and SenderEmail are the transaction's sender recipient.
	SenderName, SenderEmail string
	DownloadHosts           []string
	AllowPrivateDownloads   bool
	HTTPClient              *http.Client
}

// Client talks to Autosign. It implements providers.Provider and
// providers.Webhook.
type Client struct {
	opts     Options
	base     string
	http     *http.Client
	tokens   *tokens
	download providers.Downloader
}

// New returns a client for the API at opts.BaseURL.
func New(opts Options) (*Client, error) {
	base, err := url.Parse(strings.TrimRight(opts.BaseURL, "/"))
	if err != nil || base.Host == "" {
		return nil, fmt.Errorf("autosign: invalid base URL %q", opts.BaseURL)
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 2 * time.Minute}
	}
	c := &Client{opts: opts, base: base.String(), http: hc, download: providers.Downloader{
		AllowedHosts: append([]string{base.Host}, opts.DownloadHosts...), AllowPrivate: opts.AllowPrivateDownloads}}
	c.tokens = newTokens(c, opts.RefreshToken, nil)
	return c, nil
}

// Name implements providers.Provider.
func (c *Client) Name() string { return Name }

// upload streams one file as multipart/form-data and returns its token.
func (c *Client) upload(ctx context.Context, d providers.Document) (string, error) {
	var out UploadResponse
	body := func() (io.Reader, string) {
		pr, pw := io.Pipe()
		mw := multipart.NewWriter(pw)
		go func() {
			err := func() error {
				if err := mw.WriteField("name", d.Name); err != nil {
					return err
				}
				part, err := mw.CreateFormFile("file", d.Name)
				if err != nil {
					return err
				}
				r, err := d.Open(ctx)
				if err != nil {
					return err
				}
				defer r.Close()
				if _, err := io.Copy(part, r); err != nil {
					return err
				}
				return mw.Close()
			}()
			pw.CloseWithError(err)
		}()
		return pr, mw.FormDataContentType()
	}
	err := c.do(ctx, http.MethodPost, "upload "+d.Name, pathFiles, body, &out)
	if err == nil && out.Token == "" {
		err = &providers.APIError{Provider: Name, Op: "upload " + d.Name, StatusCode: http.StatusBadGateway, Message: "no token in the answer"}
	}
	return out.Token, err
}

// Resend is not offered by Autosign's API.
func (c *Client) Resend(context.Context, string) error {
	return providers.Unsupported(Name, "resend", "Autosign's API has no resend call")
}

// Renew is not offered by Autosign's API.
func (c *Client) Renew(context.Context, string, int) error {
	return providers.Unsupported(Name, "renew", "Autosign's API cannot extend an expired transaction")
}

// Cancel is not offered by Autosign's API: a sender cancels in Autosign's
// app, and firmaflow learns it from transaction_cancelled.
func (c *Client) Cancel(context.Context, string, string) error {
	return providers.Unsupported(Name, "cancel", "cancel the transaction in Autosign's app; firmaflow follows its transaction_cancelled event")
}

// Status reads the transaction detail.
func (c *Client) Status(ctx context.Context, ref string) (signing.Status, error) {
	snap, err := c.Reconcile(ctx, ref)
	return snap.Status, err
}

// Reconcile reads the transaction detail: its status and, for a rejection,
// who refused and why (rejected_by_id, rejected_reason), so a rejection
// found by reconciliation says the same as its webhook.
func (c *Client) Reconcile(ctx context.Context, ref string) (providers.Snapshot, error) {
	var t Transaction
	if err := c.call(ctx, http.MethodGet, "status", fmt.Sprintf(pathTx, url.PathEscape(ref)), nil, &t); err != nil {
		return providers.Snapshot{}, err
	}
	snap := providers.Snapshot{Status: mapStatus(t.Status)}
	if snap.Status == signing.StatusRejected {
		if t.RejectedReason != nil {
			snap.Reason = *t.RejectedReason
		}
		for _, r := range t.Recipients {
			if t.RejectedByID != nil && r.ID == *t.RejectedByID {
				snap.RejectedBy = &signing.SignerRef{Name: r.Name, Email: r.Email}
			}
		}
	}
	return snap, nil
}

func mapStatus(status string) signing.Status {
	switch status {
	case StatusCompleted:
		return signing.StatusCompleted
	case StatusRejected:
		return signing.StatusRejected
	case StatusCancelled:
		return signing.StatusCancelled
	case StatusExpired:
		return signing.StatusExpired
	}
	return signing.StatusAwaitingSignatures
}

// Download fetches a sealed document, authenticated, from the API host.
func (c *Client) Download(ctx context.Context, doc signing.EventDocument) (io.ReadCloser, error) {
	tok, err := c.tokens.token()
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	h.Set("Authorization", "Bearer "+tok)
	return c.download.Open(ctx, Name, doc.URL, h)
}

// RegisterWebhook subscribes endpoint to every event ("Crear webhook").
func (c *Client) RegisterWebhook(ctx context.Context, name, endpoint string) (string, error) {
	var out IDResponse
	err := c.call(ctx, http.MethodPost, "create webhook", pathWebhooks, CreateWebhook{Name: name, Endpoint: endpoint, Events: Events}, &out)
	return out.ID, err
}

// ListWebhooks lists the registered webhooks ("Listar webhooks").
func (c *Client) ListWebhooks(ctx context.Context) (WebhookList, error) {
	var out WebhookList
	err := c.call(ctx, http.MethodGet, "list webhooks", pathWebhooks+"?limit=100&page=1", nil, &out)
	return out, err
}

func (c *Client) call(ctx context.Context, method, op, path string, in, out any) error {
	var raw []byte
	if in != nil {
		raw, _ = json.Marshal(in)
	}
	return c.do(ctx, method, op, path, func() (io.Reader, string) {
		if raw == nil {
			return nil, ""
		}
		return bytes.NewReader(raw), "application/json"
	}, out)
}

// do sends a request with the access token; a 401 refreshes the token and
// tries once more, then fails clearly.
func (c *Client) do(ctx context.Context, method, op, path string, body func() (io.Reader, string), out any) error {
	for attempt := 0; ; attempt++ {
		tok, err := c.tokens.token()
		if err != nil {
			return fmt.Errorf("autosign: %s: credentials: %w", op, err)
		}
		r, ct := body()
		req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
		if err != nil {
			return err
		}
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := providers.Call(c.http, Name, op, req)
		var apiErr *providers.APIError
		if attempt == 0 && errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusUnauthorized {
			c.tokens.reset()
			continue
		}
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
}
