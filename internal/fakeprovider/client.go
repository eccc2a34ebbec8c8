package fakeprovider

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

// sendRequest is the body of POST /send: one document, inline.
type sendRequest struct {
	Title    string   `json:"title"`
	Signers  []string `json:"signers"`
	Document []byte   `json:"document"`
}

// webhook is one notification: "signed" (one signer) or "completed".
type webhook struct {
	ID          string `json:"id"`
	Ref         string `json:"ref"`
	Type        string `json:"type"`
	Signer      string `json:"signer,omitempty"`
	DocumentURL string `json:"document_url,omitempty"`
	SHA256      string `json:"sha256,omitempty"`
}

// Client is the provider's API client and webhook parser.
type Client struct {
	base, apiKey string
	http         *http.Client
	download     providers.Downloader
}

var (
	_ providers.Provider = (*Client)(nil)
	_ providers.Webhook  = (*Client)(nil)
)

func newClient(baseURL, apiKey string, allowPrivate bool) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("%s: invalid base URL %q", Name, baseURL)
	}
	return &Client{base: u.String(), apiKey: apiKey, http: &http.Client{Timeout: time.Minute},
		download: providers.Downloader{AllowedHosts: []string{u.Host}, AllowPrivate: allowPrivate}}, nil
}

// Name implements providers.Provider.
func (c *Client) Name() string { return Name }

// Send posts the first document and the signers' addresses.
func (c *Client) Send(ctx context.Context, req providers.SendRequest) (providers.SendResult, error) {
	if len(req.Documents) == 0 {
		return providers.SendResult{}, providers.Invalid(Name, "no document to send")
	}
	r, err := req.Documents[0].Open(ctx)
	if err != nil {
		return providers.SendResult{}, fmt.Errorf("%s: open document: %w", Name, err)
	}
	doc, err := io.ReadAll(r)
	r.Close()
	if err != nil {
		return providers.SendResult{}, fmt.Errorf("%s: read document: %w", Name, err)
	}
	body := sendRequest{Title: req.Input.Title, Document: doc}
	for _, s := range req.Input.Signers {
		body.Signers = append(body.Signers, s.Email)
	}
	var out struct {
		Ref string `json:"ref"`
	}
	if err := c.call(ctx, http.MethodPost, "send", "/send", body, &out); err != nil {
		return providers.SendResult{}, err
	}
	return providers.SendResult{ProviderRef: out.Ref}, nil
}

// Resend, Renew and Cancel: the made-up API has none of them.
func (c *Client) Resend(context.Context, string) error {
	return providers.Unsupported(Name, "resend", "")
}

func (c *Client) Renew(context.Context, string, int) error {
	return providers.Unsupported(Name, "renew", "")
}

func (c *Client) Cancel(context.Context, string, string) error {
	return providers.Unsupported(Name, "cancel", "")
}

// Status reads the process's status.
func (c *Client) Status(ctx context.Context, ref string) (signing.Status, error) {
	var out struct {
		Status string `json:"status"`
	}
	if err := c.call(ctx, http.MethodGet, "status", "/status/"+url.PathEscape(ref), nil, &out); err != nil {
		return "", err
	}
	if out.Status == "completed" {
		return signing.StatusCompleted, nil
	}
	return signing.StatusAwaitingSignatures, nil
}

// Download fetches a result document (from the API host only).
func (c *Client) Download(ctx context.Context, doc signing.EventDocument) (io.ReadCloser, error) {
	return c.download.Open(ctx, Name, doc.URL, http.Header{"X-Api-Key": {c.apiKey}})
}

// Parse reads one notification (the bridge has checked its token).
func (c *Client) Parse(_ context.Context, _ string, _ http.Header, body io.Reader, _ providers.Store) ([]signing.Event, error) {
	raw, err := providers.ReadBody(Name, body)
	if err != nil {
		return nil, err
	}
	var w webhook
	if err := json.Unmarshal(raw, &w); err != nil || w.ID == "" || w.Ref == "" {
		return nil, providers.Invalid(Name, "body is not a notification")
	}
	ev := signing.Event{Key: Name + ":" + w.ID, Provider: Name, ProviderRef: w.Ref}
	switch w.Type {
	case "signed":
		ev.Type, ev.Signer = signing.EventSignerSigned, &signing.SignerRef{Email: w.Signer}
	case "completed":
		ev.Type = signing.EventCompleted
		ev.Documents = []signing.EventDocument{{Kind: signing.KindSigned, Name: "signed.pdf", URL: w.DocumentURL,
			ContentType: "application/pdf", SHA256: w.SHA256}}
	default:
		return nil, providers.Invalid(Name, "unknown notification type %q", w.Type)
	}
	return []signing.Event{ev}, nil
}

// Acknowledge implements providers.Webhook.
func (c *Client) Acknowledge(w http.ResponseWriter, err error) {
	providers.AcknowledgeJSON(w, err, `{"ok":true}`)
}

func (c *Client) call(ctx context.Context, method, op, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		raw, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("%s: %s: %w", Name, op, err)
		}
		body = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return fmt.Errorf("%s: %s: %w", Name, op, err)
	}
	req.Header.Set("X-Api-Key", c.apiKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return &providers.APIError{Provider: Name, Op: op, Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return &providers.APIError{Provider: Name, Op: op, StatusCode: resp.StatusCode}
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return &providers.APIError{Provider: Name, Op: op, StatusCode: resp.StatusCode, Err: err}
	}
	return nil
}
