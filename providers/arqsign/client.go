// Package arqsign is firmaflow's ArqSIGN provider: the API client (send,
// resend, renew, cancel, status, downloads) and the webhook parser for the
// monitoring and completion webhooks. Wire names are kept in wire.go, which
// says which come from ArqSIGN's manual and which firmaflow chose.
package arqsign

import (
	"bytes"
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
const Name = "arqsign"

// Options configure the client.
type Options struct {
	BaseURL         string
	AppKey          string
	SubscriptionKey string
	// ResponsibleID is the sending user (idResponsavel); FolderID the folder (idPasta).
	ResponsibleID string
	FolderID      string
	// DownloadHosts may serve result documents; the API host always may.
	DownloadHosts []string
	// AllowPrivateDownloads permits document links on loopback or private
	// addresses (the simulators); never in production.
	AllowPrivateDownloads bool
	HTTPClient            *http.Client
}

// Client talks to ArqSIGN's REST API. It implements providers.Provider and
// providers.Webhook.
type Client struct {
	opts     Options
	base     *url.URL
	http     *http.Client
	download providers.Downloader
}

// New returns a client for the API at opts.BaseURL.
func New(opts Options) (*Client, error) {
	base, err := url.Parse(strings.TrimRight(opts.BaseURL, "/"))
	if err != nil || base.Host == "" {
		return nil, fmt.Errorf("arqsign: invalid base URL %q", opts.BaseURL)
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 2 * time.Minute}
	}
	hosts := append([]string{base.Host}, opts.DownloadHosts...)
	return &Client{opts: opts, base: base, http: hc, download: providers.Downloader{AllowedHosts: hosts, AllowPrivate: opts.AllowPrivateDownloads}}, nil
}

// Name implements providers.Provider.
func (c *Client) Name() string { return Name }

// Send opens a process. The request is streamed: each PDF is Base64-encoded
// into the JSON body as it is read, never held whole in memory.
func (c *Client) Send(ctx context.Context, req providers.SendRequest) (providers.SendResult, error) {
	in := req.Input
	if len(req.Documents) > maxDocumentsPerProcess {
		return providers.SendResult{}, c.invalid("send", "ArqSIGN accepts at most %d documents per process", maxDocumentsPerProcess)
	}
	var total int64
	for _, d := range req.Documents {
		total += d.Size
	}
	if total > maxProcessBytes {
		return providers.SendResult{}, c.invalid("send", "documents total %d bytes; ArqSIGN accepts at most %d", total, maxProcessBytes)
	}
	head, err := json.Marshal(c.sendRequest(in))
	if err != nil {
		return providers.SendResult{}, fmt.Errorf("arqsign: send: %w", err)
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(writeSendBody(ctx, pw, head, req.Documents)) }()
	httpReq, err := c.newRequest(ctx, http.MethodPost, pathSend, pr)
	if err != nil {
		return providers.SendResult{}, err
	}
	resp, err := providers.Call(c.http, Name, "send", httpReq)
	if err != nil {
		pr.CloseWithError(err)
		return providers.SendResult{}, err
	}
	defer resp.Body.Close()
	var out SendResponse
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&out); err != nil || out.IDProcesso == "" {
		return providers.SendResult{}, &providers.APIError{Provider: Name, Op: "send", StatusCode: resp.StatusCode,
			Message: "answer has no idProcesso", Err: err}
	}
	return providers.SendResult{ProviderRef: out.IDProcesso}, nil
}

func (c *Client) sendRequest(in signing.Input) SendRequest {
	orders := map[int]bool{}
	recipients := make([]Recipient, 0, len(in.Signers))
	for _, s := range in.Signers {
		orders[s.Order] = true
		r := Recipient{
			IDTipoAcao:      actionSignOnline,
			OrdemAssinatura: s.Order,
			Nome:            s.Name,
			AssinarOnline: &SignOnline{
				AssinarComo:      signAsNaturalPerson,
				IDTipoAssinatura: signatureElectronic,
				AssinaturaEletronica: &ElectronicSignature{
					ObrigarSignatarioInformarNome: true,
					TipoDocumentoAInformar:        documentTypeCPF,
				},
			},
		}
		// ArqSIGN takes an e-mail or a phone (WhatsApp), never both.
		if s.Email != "" {
			r.Email = s.Email
		} else {
			r.Telefone = s.Phone
		}
		recipients = append(recipients, r)
	}
	req := SendRequest{
		IDResponsavel:                   c.opts.ResponsibleID,
		NomeProcesso:                    in.Title,
		IDPasta:                         c.opts.FolderID,
		UsarOrdemAssinatura:             len(orders) > 1,
		UsarPosicaoAssinaturaAutomatica: true,
		Destinatarios:                   recipients,
	}
	if in.ExpiresInDays > 0 {
		req.ConfiguracoesAvancadas = &AdvancedSettings{TempoExpiracaoDocumentoDias: min(in.ExpiresInDays, 999)}
	}
	if in.Message != "" {
		req.MensagemPadrao = &Message{Titulo: in.Title, Texto: in.Message}
	}
	return req
}

// writeSendBody writes head (a JSON object) with a "documentos" array
// spliced in, streaming each document as Base64.
func writeSendBody(ctx context.Context, w io.Writer, head []byte, docs []providers.Document) error {
	head = bytes.TrimSuffix(bytes.TrimSpace(head), []byte("}"))
	if _, err := w.Write(append(head, []byte(`,"documentos":[`)...)); err != nil {
		return err
	}
	for i, d := range docs {
		name, _ := json.Marshal(d.Name)
		sep := ""
		if i > 0 {
			sep = ","
		}
		if _, err := fmt.Fprintf(w, `%s{"ordemDocumento":%d,"nomeComExtensao":%s,"arquivo":"`, sep, i+1, name); err != nil {
			return err
		}
		if err := providers.WriteBase64(ctx, w, d); err != nil {
			return fmt.Errorf("arqsign: send: document %s: %w", d.Name, err)
		}
		if _, err := io.WriteString(w, `"}`); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, "]}")
	return err
}

// Resend re-invites the pending signers unchanged (an empty edit list).
func (c *Client) Resend(ctx context.Context, ref string) error {
	return c.patch(ctx, "resend", fmt.Sprintf(pathResend, url.PathEscape(ref)), []byte("[]"))
}

// Renew renews the pending signers' tokens after an expiry. ArqSIGN does
// this with the same reenviar-processo call as a resend; it takes no new
// deadline, so the account's expiry setting applies again.
func (c *Client) Renew(ctx context.Context, ref string, _ int) error {
	return c.patch(ctx, "renew", fmt.Sprintf(pathResend, url.PathEscape(ref)), []byte("[]"))
}

// Cancel cancels the process. ArqSIGN takes no reason; a process that is
// already cancelled counts as cancelled.
func (c *Client) Cancel(ctx context.Context, ref, _ string) error {
	err := c.patch(ctx, "cancel", fmt.Sprintf(pathCancel, url.PathEscape(ref)), nil)
	var apiErr *providers.APIError
	if errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusUnprocessableEntity &&
		strings.Contains(strings.ToLower(apiErr.Message), "cancelado") {
		return nil
	}
	return err
}

// Status reads status-do-processo.
func (c *Client) Status(ctx context.Context, ref string) (signing.Status, error) {
	req, err := c.newRequest(ctx, http.MethodGet, fmt.Sprintf(pathStatus, url.PathEscape(ref)), nil)
	if err != nil {
		return "", err
	}
	resp, err := providers.Call(c.http, Name, "status", req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var st StatusResponse
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&st); err != nil {
		return "", &providers.APIError{Provider: Name, Op: "status", StatusCode: resp.StatusCode, Message: "unreadable answer", Err: err}
	}
	return MapStatus(st), nil
}

// Reconcile reads the process with its signers and, once it is complete,
// its document links: what the webhooks would have said.
func (c *Client) Reconcile(ctx context.Context, ref string) (providers.Snapshot, error) {
	req, err := c.newRequest(ctx, http.MethodGet, fmt.Sprintf(pathDetails, url.PathEscape(ref)), nil)
	if err != nil {
		return providers.Snapshot{}, err
	}
	resp, err := providers.Call(c.http, Name, "details", req)
	if err != nil {
		return providers.Snapshot{}, err
	}
	defer resp.Body.Close()
	var d ProcessDetails
	if err := json.NewDecoder(io.LimitReader(resp.Body, 4<<20)).Decode(&d); err != nil {
		return providers.Snapshot{}, &providers.APIError{Provider: Name, Op: "details", StatusCode: resp.StatusCode, Message: "unreadable answer", Err: err}
	}
	snap := providers.Snapshot{Status: MapStatus(StatusResponse{IDStatus: d.IDStatus})}
	for _, s := range d.Signatarios {
		who := signing.SignerRef{Name: s.Nome, Email: s.Email}
		if s.Assinado {
			snap.Signed = append(snap.Signed, who)
		}
		if s.AssinaturaRecusada {
			// ArqSIGN files a refusal as Cancelado; the signer's flag tells them apart.
			snap.Status, snap.Reason, snap.RejectedBy = signing.StatusRejected, s.MotivoRecusa, &who
		}
	}
	if snap.Status == signing.StatusCompleted {
		docs, err := documents(ctx, WebhookPayload{IDProcesso: ref, Documentos: d.Documentos}, nil)
		if err != nil {
			return providers.Snapshot{}, &providers.APIError{Provider: Name, Op: "details", StatusCode: http.StatusBadGateway, Message: err.Error()}
		}
		snap.Documents = docs
	}
	if snap.Status == signing.StatusAwaitingSignatures {
		// The details carry no expiry; status-do-processo documents it as
		// the expirado flag. The workflow relies on it to tell a new expiry
		// from a late copy of an old one.
		st, err := c.Status(ctx, ref)
		if err != nil {
			return providers.Snapshot{}, err
		}
		if st == signing.StatusExpired {
			snap.Status = st
		}
	}
	return snap, nil
}

// MapStatus translates ArqSIGN's status into firmaflow's.
func MapStatus(st StatusResponse) signing.Status {
	switch st.IDStatus {
	case StatusCompleted:
		return signing.StatusCompleted
	case StatusCancelled:
		return signing.StatusCancelled
	}
	if st.Expirado {
		return signing.StatusExpired
	}
	return signing.StatusAwaitingSignatures
}

// Download opens a result document from its link.
func (c *Client) Download(ctx context.Context, doc signing.EventDocument) (io.ReadCloser, error) {
	if doc.URL == "" {
		return nil, c.invalid("download", "document %s has no link", doc.Name)
	}
	return c.download.Open(ctx, Name, doc.URL, nil)
}

func (c *Client) patch(ctx context.Context, op, path string, body []byte) error {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := c.newRequest(ctx, http.MethodPatch, path, r)
	if err != nil {
		return err
	}
	resp, err := providers.Call(c.http, Name, op, req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return resp.Body.Close()
}

func (c *Client) newRequest(ctx context.Context, method, path string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base.String()+path, body)
	if err != nil {
		return nil, fmt.Errorf("arqsign: %s %s: %w", method, path, err)
	}
	req.Header.Set(headerAppKey, c.opts.AppKey)
	req.Header.Set(headerSubscriptionKey, c.opts.SubscriptionKey)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

func (c *Client) invalid(op, format string, args ...any) error {
	return &providers.APIError{Provider: Name, Op: op, StatusCode: http.StatusBadRequest, Message: fmt.Sprintf(format, args...)}
}
