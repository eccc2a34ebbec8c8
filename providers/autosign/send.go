package autosign

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/signing"
)

// sendProgress is the step an Autosign send reached, checkpointed (through
// providers.SendRequest.Checkpoint) before each next step. Autosign has no
// idempotency key, no listing of transactions and no cancel, so a retry must
// continue the transaction the earlier attempt created rather than create
// another.
type sendProgress struct {
	// TxID is the transaction created, once create answered.
	TxID string `json:"tx"`
	// Docs are the documents attached so far, uploads first.
	Docs []DocumentRef `json:"docs,omitempty"`
	// Templates is set once the templates were attached.
	Templates bool `json:"templates,omitempty"`
}

// Send prepares and starts a transaction: upload each document (10 MB at
// most, checked first), create the draft, attach documents or templates,
// set recipients and messages, place one signature field per signer, start.
// A retry resumes from the checkpointed step; a transaction that already
// left draft was started by the earlier attempt and is returned as is.
//
// What stays open: a crash between create's answer and its checkpoint
// leaves a draft nobody is invited to (drafts send nothing), which Autosign's
// API can neither list nor delete.
func (c *Client) Send(ctx context.Context, req providers.SendRequest) (providers.SendResult, error) {
	in := req.Input
	for _, d := range req.Documents {
		if d.Size > maxUploadBytes {
			return providers.SendResult{}, &providers.APIError{Provider: Name, Op: "upload", StatusCode: http.StatusRequestEntityTooLarge,
				Message: fmt.Sprintf("%s is %d bytes; Autosign accepts files of at most 10 MB", d.Name, d.Size)}
		}
	}
	var p sendProgress
	if len(req.Resume) > 0 {
		if err := json.Unmarshal(req.Resume, &p); err != nil {
			return providers.SendResult{}, fmt.Errorf("autosign: send: unreadable checkpoint: %w", err)
		}
	}
	save := func() error {
		raw, _ := json.Marshal(p)
		if err := req.Save(ctx, raw); err != nil {
			return fmt.Errorf("autosign: send: checkpoint: %w", err)
		}
		return nil
	}
	if p.TxID != "" {
		started, err := c.resume(ctx, &p, len(req.Documents), len(in.Templates) > 0)
		if err != nil {
			return providers.SendResult{}, err
		}
		if started {
			return providers.SendResult{ProviderRef: p.TxID}, nil
		}
	}
	if p.TxID == "" {
		var created IDResponse
		if err := c.call(ctx, http.MethodPost, "create transaction", pathTransaction,
			CreateTransaction{Name: in.Title, NotificationEndpoint: notificationEndpoint(c.opts.WebhookURL, in.ProcessID)}, &created); err != nil {
			return providers.SendResult{}, err
		}
		p = sendProgress{TxID: created.ID}
		if err := save(); err != nil {
			return providers.SendResult{}, err
		}
	}
	tx := url.PathEscape(p.TxID)
	for i := len(p.Docs); i < len(req.Documents); i++ {
		token, err := c.upload(ctx, req.Documents[i])
		if err != nil {
			return providers.SendResult{}, err
		}
		var added IDResponse
		if err := c.call(ctx, http.MethodPost, "add document", fmt.Sprintf(pathTxDocuments, tx), AddDocument{Token: token}, &added); err != nil {
			return providers.SendResult{}, err
		}
		p.Docs = append(p.Docs, DocumentRef{Index: i, ID: added.ID})
		if err := save(); err != nil {
			return providers.SendResult{}, err
		}
	}
	if len(in.Templates) > 0 && !p.Templates {
		var t Transaction
		refs := make([]TemplateRef, len(in.Templates))
		for i, id := range in.Templates {
			refs[i] = TemplateRef{ID: id}
		}
		if err := c.call(ctx, http.MethodPost, "use templates", fmt.Sprintf(pathTxTemplates, tx), UseTemplates{Templates: refs}, &t); err != nil {
			return providers.SendResult{}, err
		}
		for _, d := range t.Documents {
			p.Docs = append(p.Docs, DocumentRef{Index: len(p.Docs), ID: d.ID})
		}
		p.Templates = true
		if err := save(); err != nil {
			return providers.SendResult{}, err
		}
	}
	// Update and fields replace what they set (PUT), so repeating them on a
	// resume is harmless.
	recipients, fields := c.layout(p.TxID, in.Signers, p.Docs)
	var expiry *int
	if in.ExpiresInDays > 0 {
		expiry = &in.ExpiresInDays
	}
	update := UpdateTransaction{Documents: p.Docs, Name: in.Title, EmailSubject: in.Title, EmailBody: in.Message, ExpirationDays: expiry, Recipients: recipients}
	if err := c.call(ctx, http.MethodPut, "update transaction", fmt.Sprintf(pathTx, tx), update, nil); err != nil {
		return providers.SendResult{}, err
	}
	if err := c.call(ctx, http.MethodPut, "signature fields", fmt.Sprintf(pathTxFields, tx), Fields{Fields: fields}, nil); err != nil {
		return providers.SendResult{}, err
	}
	if err := c.call(ctx, http.MethodPost, "start", fmt.Sprintf(pathTxStart, tx), struct{}{}, nil); err != nil {
		return providers.SendResult{}, err
	}
	return providers.SendResult{ProviderRef: p.TxID}, nil
}

// resume reads the checkpointed transaction: started reports that it left
// draft (the earlier attempt's start went through). Documents Autosign holds
// beyond the checkpoint were attached by an add whose answer was lost; they
// are adopted rather than attached twice. A transaction Autosign does not
// know (404) is forgotten and created afresh.
func (c *Client) resume(ctx context.Context, p *sendProgress, uploads int, templates bool) (started bool, err error) {
	var t Transaction
	err = c.call(ctx, http.MethodGet, "resume send", fmt.Sprintf(pathTx, url.PathEscape(p.TxID)), nil, &t)
	var apiErr *providers.APIError
	if errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusNotFound {
		*p = sendProgress{}
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if t.Status != StatusDraft {
		return true, nil
	}
	for i := len(p.Docs); i < len(t.Documents); i++ {
		p.Docs = append(p.Docs, DocumentRef{Index: i, ID: t.Documents[i].ID})
	}
	if templates && len(p.Docs) > uploads {
		p.Templates = true
	}
	return false, nil
}

// layout names the sender and one recipient per signer, and places one
// signature field per signer on each document. Ids derive from the
// transaction id, so a repeated layout is the same layout.
func (c *Client) layout(txID string, signers []signing.Signer, docs []DocumentRef) ([]Recipient, []Field) {
	recipients := []Recipient{{ID: txID + "-sender", Role: "sender", Index: 0, Name: c.opts.SenderName, Email: c.opts.SenderEmail}}
	var fields []Field
	for i, s := range signers {
		r := Recipient{ID: fmt.Sprintf("%s-r%d", txID, i+1), Role: "signer", Index: s.Order, Name: s.Name, Email: s.Email}
		recipients = append(recipients, r)
		for _, d := range docs {
			fields = append(fields, Field{ID: fmt.Sprintf("%s-f%d-%d", txID, i+1, d.Index), DocumentID: d.ID, RecipientID: r.ID,
				Page: 0, Height: 5, Width: 20, PositionX: 10 + float64(i%3)*30, PositionY: 85, Type: "signature", Label: "Firma " + s.Name, IsRequired: true})
		}
	}
	return recipients, fields
}
