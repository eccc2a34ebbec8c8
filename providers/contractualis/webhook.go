package contractualis

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/signing"
)

// Parse reads one notification. The document's own samples carry a
// trailing comma (document.sended), which is accepted; anything else that is
// not JSON, an unknown event, or a document event without document_id is an
// *InvalidPayloadError.
func (c *Client) Parse(_ context.Context, _ string, _ http.Header, body io.Reader, _ providers.Store) ([]signing.Event, error) {
	raw, err := providers.ReadBody(Name, body)
	if err != nil {
		return nil, err
	}
	var w Webhook
	if err := json.Unmarshal(providers.StripTrailingCommas(raw), &w); err != nil {
		return nil, providers.Invalid(Name, "body is not JSON: %v", err)
	}
	ev := signing.Event{Provider: Name, OccurredAt: parseTime(w.Timestamp)}
	if w.Event == EventNoTokens {
		ev.Type, ev.AccountWide = signing.EventAwaitingTokens, true
		ev.Reason = "the Contractualis account has no tokens left"
		ev.Key = key(w.Event, w.Timestamp)
		return []signing.Event{ev}, nil
	}
	if w.Data == nil || strings.TrimSpace(w.Data.DocumentID) == "" {
		return nil, providers.Invalid(Name, "%s without data.document_id", w.Event)
	}
	ev.ProviderRef = w.Data.DocumentID
	switch w.Event {
	case EventSigned:
		if w.Data.Signer == nil || w.Data.Signer.Email == "" {
			return nil, providers.Invalid(Name, "document.signed without signer")
		}
		ev.Type = signing.EventSignerSigned
		ev.Signer = &signing.SignerRef{Name: w.Data.Signer.Name, Email: w.Data.Signer.Email}
		// One signature per signer: a redelivery repeats document, signer and time.
		ev.Key = key(w.Event, w.Data.DocumentID, strings.ToLower(w.Data.Signer.Email), w.Data.Signer.SignedAt)
	case EventSended:
		ev.Type, ev.Key = signing.EventSealing, key(w.Event, w.Data.DocumentID)
	case EventCompleted:
		docs, err := completedDocuments(w.Data)
		if err != nil {
			return nil, err
		}
		ev.Type, ev.Documents, ev.Key = signing.EventCompleted, docs, key(w.Event, w.Data.DocumentID)
	default:
		return nil, providers.Invalid(Name, "unknown event %q", w.Event)
	}
	return []signing.Event{ev}, nil
}

func key(parts ...string) string {
	return signing.HashKey(Name, []byte(strings.Join(parts, "\x1f")))
}

func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// completedDocuments lists the signed document and its evidence. The signed
// document's link is required; evidence links are taken when present.
func completedDocuments(d *WebhookData) ([]signing.EventDocument, error) {
	doc := d.Document
	if doc == nil || !isHTTPURL(doc.URL) {
		return nil, providers.Invalid(Name, "document.completed without a document url")
	}
	name := doc.Name
	if name == "" {
		name = "documento"
	}
	signed := signing.EventDocument{Kind: signing.KindSigned, Name: name + ".pdf", URL: doc.URL, ContentType: "application/pdf"}
	if hexSHA256.MatchString(doc.Hash) {
		signed.SHA256 = strings.ToLower(doc.Hash)
	}
	out := []signing.EventDocument{signed}
	for _, ev := range []struct {
		kind   signing.DocumentKind
		prefix string
		link   string
	}{
		{signing.KindCertificate, "nom151-", doc.NOM151},
		{signing.KindCertificate, "certificado-", doc.Certificate},
		{signing.KindAuditTrail, "audit-trail-", doc.AuditTrail},
	} {
		if ev.link == "" {
			continue
		}
		if !isHTTPURL(ev.link) {
			return nil, providers.Invalid(Name, "document.completed: %s link is not a URL", strings.TrimSuffix(ev.prefix, "-"))
		}
		out = append(out, signing.EventDocument{Kind: ev.kind, Name: ev.prefix + name + ".pdf", URL: ev.link, ContentType: "application/pdf"})
	}
	return out, nil
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// maxWebhookBytes caps a notification's body. Contractualis's notifications
// carry ids, names and links, never files: the largest sample is under
// 1 KiB, and an event's fields are bounded to 64 KiB in all.
const maxWebhookBytes = 1 << 20

// MaxWebhookBodyBytes lets the bridge refuse a larger body (413) before
// reading it.
func (c *Client) MaxWebhookBodyBytes() int64 { return maxWebhookBytes }

// Acknowledge answers 200, as the document asks, when delivered.
func (c *Client) Acknowledge(w http.ResponseWriter, err error) {
	providers.AcknowledgeJSON(w, err, `{"status":"ok"}`)
}
