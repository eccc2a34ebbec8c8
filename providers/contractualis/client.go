// Package contractualis is firmaflow's Contractualis provider: the API client
// (send with generate-document, status, cancel of drafts, token balance and
// finishing of ready documents) and the webhook parser. Wire names are kept in
// wire.go, which says which come from the provider's document and which
// firmaflow chose.
package contractualis

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/signing"
)

// Name is the provider's name in inputs, events and webhook URLs.
const Name = "contractualis"

// Options configure the client.
type Options struct {
	BaseURL string
	APIKey  string
	// Email and Password of the main account: every call names the account
	// by email, and the JWT comes from logging in with both.
	Email    string
	Password string
	// JWTTTL is how long a JWT is trusted when it carries no exp claim.
	JWTTTL        time.Duration
	DownloadHosts []string
	// AllowPrivateDownloads permits document links on loopback or private
	// addresses (the simulators); never in production.
	AllowPrivateDownloads bool
	HTTPClient            *http.Client
}

// Client talks to Contractualis. It implements providers.Provider,
// providers.TokenGate and providers.Webhook.
type Client struct {
	opts     Options
	base     string
	http     *http.Client
	download providers.Downloader
	session  *session
}

// New returns a client for the API at opts.BaseURL.
func New(opts Options) (*Client, error) {
	base, err := url.Parse(strings.TrimRight(opts.BaseURL, "/"))
	if err != nil || base.Host == "" {
		return nil, fmt.Errorf("contractualis: invalid base URL %q", opts.BaseURL)
	}
	if opts.JWTTTL <= 0 {
		opts.JWTTTL = 30 * time.Minute
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 2 * time.Minute}
	}
	c := &Client{opts: opts, base: base.String(), http: hc,
		download: providers.Downloader{AllowedHosts: append([]string{base.Host}, opts.DownloadHosts...), AllowPrivate: opts.AllowPrivateDownloads}}
	c.session = &session{login: c.login, ttl: opts.JWTTTL}
	return c, nil
}

// Name implements providers.Provider.
func (c *Client) Name() string { return Name }

// AccountEvents: Contractualis sends account.notokens for the whole account.
func (c *Client) AccountEvents() {}

// Send generates the document, attachments and signers in one call. The PDFs
// are streamed as Base64 data URIs into the JSON body. A retry first looks
// for the document an earlier attempt opened (findSent).
func (c *Client) Send(ctx context.Context, req providers.SendRequest) (providers.SendResult, error) {
	in := req.Input
	var main *providers.Document
	var attachments []providers.Document
	for i := range req.Documents {
		d := req.Documents[i]
		switch {
		case d.Role == signing.RoleAttachment:
			attachments = append(attachments, d)
		case main == nil:
			main = &d
		default:
			// Contractualis signs one main file; further files travel as annexes.
			attachments = append(attachments, d)
		}
	}
	if main == nil {
		return providers.SendResult{}, &providers.APIError{Provider: Name, Op: "send", StatusCode: http.StatusBadRequest,
			Message: "a document to sign is required (attachments alone cannot be signed)"}
	}
	if req.Retry {
		// An earlier attempt may have opened the document and lost the answer.
		ref, err := c.findSent(ctx, in, req.Since)
		if err != nil {
			return providers.SendResult{}, err
		}
		if ref != "" {
			return providers.SendResult{ProviderRef: ref}, nil
		}
	}
	head, err := json.Marshal(c.generateRequest(in))
	if err != nil {
		return providers.SendResult{}, fmt.Errorf("contractualis: send: %w", err)
	}
	var out IDResponse
	body := func() io.Reader {
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(writeGenerateBody(ctx, pw, head, *main, attachments)) }()
		return pr
	}
	if err := c.call(ctx, "send", pathGenerate, body, &out); err != nil {
		return providers.SendResult{}, err
	}
	if out.ID == "" {
		return providers.SendResult{}, &providers.APIError{Provider: Name, Op: "send", StatusCode: http.StatusBadGateway, Message: "answer has no id"}
	}
	return providers.SendResult{ProviderRef: out.ID}, nil
}

func (c *Client) generateRequest(in signing.Input) GenerateRequest {
	req := GenerateRequest{Email: c.opts.Email, Lang: option(in.Options, OptionLang, "es"), Name: in.Title,
		Type: option(in.Options, OptionType, "contract"), Subaccount: in.Options[OptionSubaccount]}
	for _, s := range in.Signers {
		if id := s.Options[OptionSavedSigner]; id != "" {
			req.Signers = append(req.Signers, Signer{IDSavedSigner: id, Email: s.Email})
			continue
		}
		signType, _ := strconv.Atoi(option(s.Options, OptionSignType, "0"))
		verification := 0
		if v := strings.ToLower(s.Options[OptionVerification]); v == "1" || v == "true" {
			verification = 1
		}
		w := Signer{Email: s.Email, Name: s.Name, VerificationID: &verification, SignType: &signType}
		if digits := onlyDigits(s.Phone); digits != "" {
			w.WhatsAppCode = option(s.Options, OptionWhatsAppCode, "52")
			w.WhatsApp = digits[max(0, len(digits)-10):] // the doc asks for 10 digits
		}
		req.Signers = append(req.Signers, w)
	}
	return req
}

func option(m map[string]string, key, def string) string {
	if v := m[key]; v != "" {
		return v
	}
	return def
}

func onlyDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// writeGenerateBody writes head with "file" and "attachments" spliced in.
func writeGenerateBody(ctx context.Context, w io.Writer, head []byte, main providers.Document, attachments []providers.Document) error {
	head = bytes.TrimSuffix(bytes.TrimSpace(head), []byte("}"))
	if _, err := fmt.Fprintf(w, `%s,"file":"%s`, head, dataURIPrefixPDF); err != nil {
		return err
	}
	if err := providers.WriteBase64(ctx, w, main); err != nil {
		return fmt.Errorf("contractualis: send %s: %w", main.Name, err)
	}
	if _, err := io.WriteString(w, `","attachments":[`); err != nil {
		return err
	}
	for i, a := range attachments {
		name, _ := json.Marshal(a.Name)
		sep := ","
		if i == 0 {
			sep = ""
		}
		if _, err := fmt.Fprintf(w, `%s{"filename":%s,"data":"%s`, sep, name, dataURIPrefixPDF); err != nil {
			return err
		}
		if err := providers.WriteBase64(ctx, w, a); err != nil {
			return fmt.Errorf("contractualis: send attachment %s: %w", a.Name, err)
		}
		if _, err := io.WriteString(w, `"}`); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, "]}")
	return err
}

// Resend is not offered: Contractualis notifies signers itself.
func (c *Client) Resend(context.Context, string) error {
	return providers.Unsupported(Name, "resend", "the API has no resend; Contractualis reminds signers itself")
}

// Renew is not offered: Contractualis documents do not expire through the API.
func (c *Client) Renew(context.Context, string, int) error {
	return providers.Unsupported(Name, "renew", "the API has no expiry or renewal")
}

// Cancel deletes the document while it is a draft (not yet sent to
// blockchain). Afterwards it cannot be cancelled: a final error says so.
func (c *Client) Cancel(ctx context.Context, ref, _ string) error {
	err := c.call(ctx, "cancel", pathDeleteDraft, jsonBody(DocumentRequest{Email: c.opts.Email, ID: ref}), nil)
	var apiErr *providers.APIError
	if errors.As(err, &apiErr) && !apiErr.Retryable() && apiErr.StatusCode != http.StatusUnauthorized {
		// A retried cancel finds its own earlier deletion: that is success.
		if st, serr := c.Status(ctx, ref); serr == nil && st == signing.StatusCancelled {
			return nil
		}
		return &providers.APIError{Provider: Name, Op: "cancel", StatusCode: http.StatusConflict,
			Message: "cannot cancel: the document is no longer a draft (" + apiErr.Message + ")"}
	}
	return err
}

// Status reads get-details-document.
func (c *Client) Status(ctx context.Context, ref string) (signing.Status, error) {
	var out DetailsResponse
	if err := c.call(ctx, "status", pathDetails, jsonBody(DocumentRequest{Email: c.opts.Email, ID: ref}), &out); err != nil {
		return "", err
	}
	switch out.Data.Status {
	case StatusCompleted:
		return signing.StatusCompleted, nil
	case StatusDeleted:
		return signing.StatusCancelled, nil
	}
	return signing.StatusAwaitingSignatures, nil
}

// TokensAvailable reads the account's token balance.
func (c *Client) TokensAvailable(ctx context.Context) (int, error) {
	var out TokensResponse
	if err := c.call(ctx, "tokens", pathTokens, jsonBody(AccountRequest{Email: c.opts.Email}), &out); err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(out.Tokens.String()))
	if err != nil {
		return 0, &providers.APIError{Provider: Name, Op: "tokens", StatusCode: http.StatusBadGateway, Message: "unreadable token balance"}
	}
	return n, nil
}

// FinishReady finishes ref if get-ready-documents lists it. A document that
// is not listed (not fully signed yet, or already finished) is left alone,
// so a retry never spends a second token.
func (c *Client) FinishReady(ctx context.Context, ref string) (bool, error) {
	var ready ReadyResponse
	if err := c.call(ctx, "ready documents", pathReadyDocs, jsonBody(AccountRequest{Email: c.opts.Email}), &ready); err != nil {
		return false, err
	}
	for _, r := range ready.Records {
		if r.ID == ref {
			if err := c.call(ctx, "finish ready document", pathFinishReady, jsonBody(DocumentRequest{Email: c.opts.Email, ID: ref}), nil); err != nil {
				return false, err
			}
			return true, nil
		}
	}
	return false, nil
}

// Download opens a result document from its link.
func (c *Client) Download(ctx context.Context, doc signing.EventDocument) (io.ReadCloser, error) {
	if doc.URL == "" {
		return nil, &providers.APIError{Provider: Name, Op: "download", StatusCode: http.StatusBadRequest, Message: "document " + doc.Name + " has no link"}
	}
	return c.download.Open(ctx, Name, doc.URL, nil)
}

func jsonBody(v any) func() io.Reader {
	b, _ := json.Marshal(v)
	return func() io.Reader { return bytes.NewReader(b) }
}

// call posts a JSON body and decodes the answer into out (when not nil). A
// 401, by HTTP status or by status_code, renews the JWT and tries once more.
func (c *Client) call(ctx context.Context, op, path string, body func() io.Reader, out any) error {
	for attempt := 0; ; attempt++ {
		jwt, err := c.session.token(ctx)
		if err != nil {
			return err
		}
		err = c.post(ctx, op, path, jwt, body(), out)
		var apiErr *providers.APIError
		if attempt == 0 && errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusUnauthorized {
			c.session.invalidate(jwt)
			continue
		}
		return err
	}
}

func (c *Client) post(ctx context.Context, op, path, jwt string, body io.Reader, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, body)
	if err != nil {
		return fmt.Errorf("contractualis: %s: %w", op, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(headerAPIKey, c.opts.APIKey)
	if jwt != "" {
		req.Header.Set("Authorization", "Bearer "+jwt)
	}
	resp, err := providers.Call(c.http, Name, op, req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return &providers.APIError{Provider: Name, Op: op, Err: err}
	}
	var env Envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return &providers.APIError{Provider: Name, Op: op, StatusCode: http.StatusBadGateway, Message: "unreadable answer", Err: err}
	}
	if env.StatusCode != 0 && env.StatusCode != 200 {
		return &providers.APIError{Provider: Name, Op: op, StatusCode: int(env.StatusCode), Message: env.StatusMsg}
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return &providers.APIError{Provider: Name, Op: op, StatusCode: http.StatusBadGateway, Message: "unreadable answer", Err: err}
		}
	}
	return nil
}

// login gets a fresh JWT.
func (c *Client) login(ctx context.Context) (string, error) {
	var out LoginResponse
	err := c.post(ctx, "login", pathLogin, "", bytes.NewReader(mustJSON(LoginRequest{Email: c.opts.Email, Password: c.opts.Password})), &out)
	if err != nil {
		return "", err
	}
	if out.JWT == "" {
		return "", &providers.APIError{Provider: Name, Op: "login", StatusCode: http.StatusUnauthorized, Message: "no jwt in the answer"}
	}
	return out.JWT, nil
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

var hexSHA256 = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)
