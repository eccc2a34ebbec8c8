package cellosign

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/signing"
)

// Parse reads an archive webhook, streaming its files into the store: the
// signal carries references only, whatever the size of the archive.
func (c *Client) Parse(ctx context.Context, _ string, _ http.Header, body io.Reader, store providers.Store) ([]signing.Event, error) {
	if store == nil {
		return nil, errors.New("cellosign: no document store for the archive's files")
	}
	skeleton, blobs, err := divert(ctx, body, store, "webhooks/cellosign/"+uuid.NewString())
	if errors.Is(err, errTooLarge) {
		return nil, providers.Invalid(Name, "%v", err)
	}
	if err != nil {
		return nil, err
	}
	var a Archive
	if err := json.Unmarshal(skeleton, &a); err != nil {
		return nil, providers.Invalid(Name, "body is not JSON: %v", err)
	}
	if a.Event.Type != archiveEventType {
		return nil, providers.Invalid(Name, "event type %q is not %s", a.Event.Type, archiveEventType)
	}
	if strings.TrimSpace(a.Reference) == "" {
		return nil, providers.Invalid(Name, "archive without reference")
	}
	if a.SignedDocument == nil {
		return nil, providers.Invalid(Name, "archive without signed_document")
	}
	blob := func(f ArchiveFile) (signing.StoredDocument, error) {
		i, err := strconv.Atoi(strings.TrimPrefix(f.Content, blobRef))
		if !strings.HasPrefix(f.Content, blobRef) || err != nil || i < 0 || i >= len(blobs) {
			return signing.StoredDocument{}, providers.Invalid(Name, "file %q has no Base64 content", f.Filename)
		}
		return blobs[i], nil
	}
	ev := signing.Event{Provider: Name, ProviderRef: a.Reference, Type: signing.EventCompleted}
	if t, err := time.Parse("2006-01-02T15:04:05.999999", a.Event.Timestamp); err == nil {
		ev.OccurredAt = t.UTC()
	}
	// A redelivered archive repeats reference, type and timestamp.
	ev.Key = signing.HashKey(Name, []byte(a.Reference+"\x1f"+a.Event.Type+"\x1f"+a.Event.Timestamp))
	add := func(kind signing.DocumentKind, f ArchiveFile, def string) error {
		stored, err := blob(f)
		if err != nil {
			return err
		}
		name := f.Filename
		if name == "" {
			name = def
		}
		ev.Documents = append(ev.Documents, signing.EventDocument{Kind: kind, Name: name, StoredKey: stored.Key, ContentType: f.Mimetype})
		return nil
	}
	if err := add(signing.KindSigned, *a.SignedDocument, "signed.pdf"); err != nil {
		return nil, err
	}
	for i, f := range a.Attachments {
		if err := add(signing.KindAttachment, f, "attachment-"+strconv.Itoa(i)); err != nil {
			return nil, err
		}
	}
	return []signing.Event{ev}, nil
}

// Acknowledge answers as CelloSign's archive documentation asks. The
// reference echoes nothing firmaflow-internal: CelloSign gets back its own
// status convention, "0" or "-1" with the reason.
func (c *Client) Acknowledge(w http.ResponseWriter, err error) {
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		w.WriteHeader(http.StatusInternalServerError) // the bridge sets the real code
		json.NewEncoder(w).Encode(Answer{Status: "-1", ErrorDesc: err.Error()})
		return
	}
	w.WriteHeader(http.StatusOK)
	json.NewEncoder(w).Encode(Answer{Status: "0", Document: &AnswerDocument{Reference: "firmaflow", PublicLink: ""}})
}
