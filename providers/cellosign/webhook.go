package cellosign

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/signing"
)

// Parse reads an archive webhook (WHP_ARCHIVE), streaming its Base64 files
// into the store (see archive.go): the event carries references only,
// whatever the size of the archive. The subpath and headers are not used
// (the bridge checks the shared token).
func (c *Client) Parse(ctx context.Context, _ string, _ http.Header, body io.Reader, store providers.Store) ([]signing.Event, error) {
	if store == nil {
		return nil, errors.New("cellosign: no document store for the archive's files")
	}
	skeleton, files, err := readArchive(ctx, body, store)
	if err != nil {
		return nil, err
	}
	var a Archive
	if err := json.Unmarshal(skeleton, &a); err != nil {
		return nil, providers.Invalid(Name, "body is not a JSON archive: %v", err)
	}
	return archiveEvent(a, files)
}

// archiveEvent validates a decoded archive and builds its completion event.
func archiveEvent(a Archive, files streamed) ([]signing.Event, error) {
	if a.Event.Type != EventArchive {
		return nil, providers.Invalid(Name, "event type %q is not %s", a.Event.Type, EventArchive)
	}
	if strings.TrimSpace(a.Reference) == "" {
		return nil, providers.Invalid(Name, "archive without reference")
	}
	if a.SignedDocument == nil || files.signed == nil {
		return nil, providers.Invalid(Name, "archive without signed_document content")
	}
	// The reference is the process id firmaflow gave (see Send): addressed
	// directly. A reference of a process firmaflow did not send names none.
	ev := signing.Event{Provider: Name, ProviderRef: a.Reference, ProcessID: a.Reference, Type: signing.EventCompleted, OccurredAt: parseTime(a.Event.Timestamp)}
	// A redelivered archive repeats reference, type and timestamp.
	ev.Key = signing.HashKey(Name, []byte(a.Reference+a.Event.Type+a.Event.Timestamp))
	add := func(kind signing.DocumentKind, f ArchiveFile, stored signing.StoredDocument, def string) {
		name := strings.TrimSpace(f.Filename)
		if name == "" {
			name = def
		}
		ct := f.Mimetype
		if ct == "" && kind == signing.KindSigned {
			ct = "application/pdf"
		}
		ev.Documents = append(ev.Documents, signing.EventDocument{Kind: kind, Name: name, StoredKey: stored.Key, ContentType: ct})
	}
	add(signing.KindSigned, *a.SignedDocument, *files.signed, "signed.pdf")
	for i, f := range a.Attachments {
		stored, ok := files.attachments[i]
		if !ok || f == nil {
			return nil, providers.Invalid(Name, "attachments[%d] has no Base64 content", i)
		}
		add(signing.KindAttachment, *f, stored, "attachment-"+strconv.Itoa(i+1))
	}
	return []signing.Event{ev}, nil
}

// parseTime reads event.timestamp: ISO 8601, microseconds, no zone in the
// sample (taken as UTC); a zone, when present, is honoured.
func parseTime(s string) time.Time {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// Acknowledge answers as CelloSign's archive documentation asks:
// {"status":"0","document":{"reference","public_link"},"errordesc":""} on
// success, {"status":"-1","document":null,"errordesc":…} otherwise. The
// bridge sets the HTTP status code. Acknowledge is not told which archive
// it answers, so document.reference and public_link are empty strings (the
// docs make both optional: "you may response with reference or/and a url").
func (c *Client) Acknowledge(w http.ResponseWriter, err error) {
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		json.NewEncoder(w).Encode(Answer{Status: AnswerError, ErrorDesc: errorDesc(err)})
		return
	}
	w.WriteHeader(http.StatusOK)
	json.NewEncoder(w).Encode(Answer{Status: AnswerOK, Document: &AnswerDocument{}})
}

// errorDesc is the reason CelloSign shows and alerts on.
func errorDesc(err error) string {
	var invalid *providers.InvalidPayloadError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &invalid):
		return "invalid archive: " + invalid.Reason
	case errors.As(err, &tooBig):
		return fmt.Sprintf("archive exceeds %d bytes", tooBig.Limit)
	}
	return err.Error()
}
