package signing

import (
	"encoding/json"
	"fmt"
)

// Bounds of an Event. An event is a signal payload and stays in the owning
// process's history (and in an inbox, and across continue-as-new) until it
// is applied, so a field a provider can make arbitrarily long would let one
// notification push a workflow task past Temporal's 4 MiB message limit and
// wedge the process for good. Every field is bounded here; the limits are
// far above what a provider sends in practice (ids are tens of bytes).
const (
	MaxEventKeyBytes         = 256
	MaxEventProviderBytes    = 64
	MaxEventProviderRefBytes = 200 // the bridge's ValidRef pattern allows 200
	MaxSignerNameBytes       = 256
	MaxSignerEmailBytes      = 320 // RFC 3696: 64 local + @ + 255 domain
	MaxEventReasonBytes      = 4 << 10
	MaxEventDocuments        = 50
	// MaxDocumentNameBytes: a file name on most file systems. (Store keys
	// built from a name shorten it further; see activities.DocumentKey.)
	MaxDocumentNameBytes = 255
	MaxDocumentURLBytes  = 4 << 10
	MaxDocumentKeyBytes  = 1 << 10
	MaxContentTypeBytes  = 255
	MaxSHA256Bytes       = 128
	// MaxEventBytes bounds the encoded event as a whole.
	MaxEventBytes = 64 << 10
)

// EventTooLargeError says which field of an event is over its bound. It is
// final: a redelivery carries the same field, so the bridge answers 4xx
// (413) and never asks the provider to retry.
type EventTooLargeError struct {
	Field string
	Size  int
	Limit int
}

func (e *EventTooLargeError) Error() string {
	if e.Field == "documents" {
		return fmt.Sprintf("event carries %d documents, limit %d", e.Size, e.Limit)
	}
	return fmt.Sprintf("event field %s is %d bytes, limit %d", e.Field, e.Size, e.Limit)
}

// CheckLen returns an *EventTooLargeError when s is longer than limit bytes.
// Parsers call it on a field before using it in a key or a path, so an
// oversize id is refused before it reaches the document store.
func CheckLen(field, s string, limit int) error {
	if len(s) > limit {
		return &EventTooLargeError{Field: field, Size: len(s), Limit: limit}
	}
	return nil
}

// Validate checks every field of e against its bound. The bridge calls it
// for every event of every provider before signalling anything.
func (e Event) Validate() error {
	checks := []struct {
		field string
		value string
		limit int
	}{
		{"key", e.Key, MaxEventKeyBytes},
		{"provider", e.Provider, MaxEventProviderBytes},
		{"provider_ref", e.ProviderRef, MaxEventProviderRefBytes},
		{"process_id", e.ProcessID, MaxEventProviderRefBytes},
		{"type", string(e.Type), MaxEventProviderBytes},
		{"reason", e.Reason, MaxEventReasonBytes},
	}
	for _, c := range checks {
		if err := CheckLen(c.field, c.value, c.limit); err != nil {
			return err
		}
	}
	if e.Signer != nil {
		if err := CheckLen("signer.name", e.Signer.Name, MaxSignerNameBytes); err != nil {
			return err
		}
		if err := CheckLen("signer.email", e.Signer.Email, MaxSignerEmailBytes); err != nil {
			return err
		}
	}
	if len(e.Documents) > MaxEventDocuments {
		return &EventTooLargeError{Field: "documents", Size: len(e.Documents), Limit: MaxEventDocuments}
	}
	for i, d := range e.Documents {
		docChecks := []struct {
			field string
			value string
			limit int
		}{
			{"name", d.Name, MaxDocumentNameBytes},
			{"url", d.URL, MaxDocumentURLBytes},
			{"stored_key", d.StoredKey, MaxDocumentKeyBytes},
			{"content_type", d.ContentType, MaxContentTypeBytes},
			{"sha256", d.SHA256, MaxSHA256Bytes},
			{"kind", string(d.Kind), MaxEventProviderBytes},
		}
		for _, c := range docChecks {
			if err := CheckLen(fmt.Sprintf("documents[%d].%s", i, c.field), c.value, c.limit); err != nil {
				return err
			}
		}
	}
	// The per-field bounds already cap the total well under Temporal's
	// limits; the encoded size is checked too so a field added later
	// without a bound cannot slip through unnoticed. Only an event whose
	// bound is over the limit is encoded to know its exact size.
	if e.encodedSizeBound() <= MaxEventBytes {
		return nil
	}
	raw, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("event: encode: %w", err)
	}
	if len(raw) > MaxEventBytes {
		return &EventTooLargeError{Field: "(encoded event)", Size: len(raw), Limit: MaxEventBytes}
	}
	return nil
}
