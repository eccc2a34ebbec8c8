package autosign

import (
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

// Parse reads one event. Autosign's own sample of transaction_completed
// carries a trailing comma, which is tolerated on purpose; any other
// malformation, an unknown type, or a missing id is an *InvalidPayloadError.
func (c *Client) Parse(_ context.Context, subpath string, _ http.Header, body io.Reader, _ providers.Store) ([]signing.Event, error) {
	raw, err := providers.ReadBody(Name, body)
	if err != nil {
		return nil, err
	}
	var w Webhook
	if err := json.Unmarshal(providers.StripTrailingCommas(raw), &w); err != nil {
		return nil, providers.Invalid(Name, "body is not JSON: %v", err)
	}
	if strings.TrimSpace(w.ID) == "" || strings.TrimSpace(w.Data.ID) == "" {
		return nil, providers.Invalid(Name, "event id or data.id is missing")
	}
	created, _ := time.Parse(time.RFC3339Nano, w.Created)
	// The envelope's id names the event: Autosign repeats it when it redelivers.
	ev := signing.Event{Key: Name + ":" + w.ID, Provider: Name, ProviderRef: w.Data.ID, OccurredAt: created.UTC(),
		ProcessID: processIDFromSubpath(subpath)}
	person := func(p *Person) *signing.SignerRef {
		if p == nil {
			return nil
		}
		return &signing.SignerRef{Name: p.Name, Email: p.Email}
	}
	switch w.Type {
	case "transaction_created":
		ev.Type = signing.EventCreated
	case "transaction_started":
		ev.Type = signing.EventStarted
	case "recipient_submitted":
		if w.Data.Recipient == nil {
			return nil, providers.Invalid(Name, "recipient_submitted without recipient")
		}
		ev.Type, ev.Signer = signing.EventSignerSigned, person(w.Data.Recipient)
	case "transaction_rejected":
		ev.Type, ev.Signer, ev.Reason = signing.EventRejected, person(w.Data.RejectedBy), w.Data.RejectedReason
	case "transaction_cancelled":
		ev.Type, ev.Reason = signing.EventCancelled, w.Data.CancelledReason
	case "transaction_expired":
		ev.Type = signing.EventExpired
	case "transaction_completed":
		if len(w.Data.SealedDocuments) == 0 {
			return nil, providers.Invalid(Name, "transaction_completed without sealed_documents")
		}
		ev.Type = signing.EventCompleted
		for _, d := range w.Data.SealedDocuments {
			if d.ID == "" {
				return nil, providers.Invalid(Name, "sealed document without id")
			}
			name := d.Name
			if name == "" {
				name = d.ID + ".pdf"
			}
			ev.Documents = append(ev.Documents, signing.EventDocument{Kind: signing.KindSigned, Name: name, ContentType: "application/pdf",
				URL: c.base + fmt.Sprintf(pathTxSealed, url.PathEscape(w.Data.ID), url.PathEscape(d.ID))})
		}
	default:
		return nil, providers.Invalid(Name, "unknown event type %q", w.Type)
	}
	return []signing.Event{ev}, nil
}

// maxWebhookBytes caps a notification's body. Autosign's notifications
// carry ids, names and links, never files: the largest sample is under
// 1 KiB, and an event's fields are bounded to 64 KiB in all.
const maxWebhookBytes = 1 << 20

// MaxWebhookBodyBytes lets the bridge refuse a larger body (413) before
// reading it.
func (c *Client) MaxWebhookBodyBytes() int64 { return maxWebhookBytes }

// Acknowledge answers 200 with a small JSON body once delivered.
func (c *Client) Acknowledge(w http.ResponseWriter, err error) {
	providers.AcknowledgeJSON(w, err, `{"received":true}`)
}
