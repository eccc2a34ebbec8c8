package signing

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// EventType is what happened at the provider, in firmaflow's words.
type EventType string

const (
	// EventCreated and EventStarted are informational: the provider accepted
	// or opened the process.
	EventCreated EventType = "created"
	EventStarted EventType = "started"
	// EventSignerSigned: one signer signed.
	EventSignerSigned EventType = "signer_signed"
	// EventDeliveryFailed: an invitation could not be delivered to a signer.
	EventDeliveryFailed EventType = "delivery_failed"
	// EventRejected: a signer refused to sign (Reason says why).
	EventRejected EventType = "rejected"
	// EventCancelled: the sender cancelled the process at the provider.
	EventCancelled EventType = "cancelled"
	// EventExpired: the signers' time ran out.
	EventExpired EventType = "expired"
	// EventResent is informational: the provider re-invited pending signers.
	EventResent EventType = "resent"
	// EventSealing is informational: the signed document is being sealed
	// (for example anchored on a blockchain, not yet completed).
	EventSealing EventType = "sealing"
	// EventAwaitingTokens: the provider account has no tokens left to finish
	// documents. It is account-wide.
	EventAwaitingTokens EventType = "awaiting_tokens"
	// EventCompleted: everyone signed; Documents say where the results are.
	EventCompleted EventType = "completed"
)

// Event is one provider notification, provider-neutral. It is the payload of
// the provider-event signal, so it carries references, never document bytes.
type Event struct {
	// Key deduplicates: the provider's event id where it has one, else a hash
	// of the canonical payload. The same Key never has a second effect.
	Key         string `json:"key"`
	Provider    string `json:"provider"`
	ProviderRef string `json:"provider_ref"`
	// ProcessID is set when the provider echoes firmaflow's process id (a
	// reference it was given, a per-process notification URL): the event
	// is then addressed to that process directly.
	ProcessID  string    `json:"process_id,omitempty"`
	Type       EventType `json:"type"`
	OccurredAt time.Time `json:"occurred_at,omitzero"`
	// Signer is who the event is about (signed, delivery failed, rejected).
	Signer *SignerRef `json:"signer,omitempty"`
	// Reason is the signer's justification for a rejection, or the
	// provider's explanation for a failure or cancellation.
	Reason string `json:"reason,omitempty"`
	// Documents are the results of a completed process.
	Documents []EventDocument `json:"documents,omitempty"`
	// AccountWide events concern every process of the provider account
	// (ProviderRef is empty); the bridge delivers them to each running one.
	AccountWide bool `json:"account_wide,omitempty"`
}

// SignerRef identifies a signer as the provider reported them.
type SignerRef struct {
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
}

// DocumentKind tells signed documents from their evidence.
type DocumentKind string

const (
	KindSigned          DocumentKind = "signed"
	KindSignatureRecord DocumentKind = "signature_record"
	KindAttachment      DocumentKind = "attachment"
	// KindCertificate and KindAuditTrail are further evidence some providers
	// issue (certificates, audit trails).
	KindCertificate DocumentKind = "certificate"
	KindAuditTrail  DocumentKind = "audit_trail"
)

// EventDocument is a result document announced by the provider: either a URL
// to download it from, or (when the provider pushed the bytes in the webhook)
// a key in the document store where the bridge already put them.
type EventDocument struct {
	Kind        DocumentKind `json:"kind"`
	Name        string       `json:"name"`
	URL         string       `json:"url,omitempty"`
	StoredKey   string       `json:"stored_key,omitempty"`
	ContentType string       `json:"content_type,omitempty"`
	// SHA256 is the provider's own hash of the document, when it sends one;
	// the fetch compares it with what was stored.
	SHA256 string `json:"sha256,omitempty"`
}

// HashKey derives a dedup key from a canonical payload for providers that do
// not number their events.
func HashKey(provider string, canonical []byte) string {
	h := sha256.New()
	h.Write([]byte(provider))
	h.Write([]byte{0})
	h.Write(canonical)
	return provider + ":" + hex.EncodeToString(h.Sum(nil))[:32]
}
