package webhookbridge

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/firmaflow/firmaflow/docstore"
	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/signing"
)

// Documents a webhook carries inline are immutable once an event names
// them. The parser streams them into a staging area of the request
// (docstore.Staging: unique keys, nothing else names them); a refused
// request deletes them; an accepted one files each under the SHA-256 of its
// bytes (docstore.ContentKey), written only if absent, and its event names
// that key and records the hash, which the fetch checks. No later webhook
// (a re-posted completion, a second archive, another reference that a
// lossy key mapped to the same name) can change what a result recorded.

// fileByContent rewrites each stored document of events to its
// content-addressed key and records its SHA-256. The objects are written
// there by stage.Promote, once the events are accepted.
func fileByContent(events []signing.Event, stage *docstore.Staging) error {
	for i := range events {
		for j := range events[i].Documents {
			doc := &events[i].Documents[j]
			if doc.StoredKey == "" {
				continue
			}
			staged, ok := stage.Staged(doc.StoredKey)
			if !ok {
				return fmt.Errorf("document %s: stored key %q was not staged by this request", doc.Name, doc.StoredKey)
			}
			if doc.SHA256 != "" && !strings.EqualFold(doc.SHA256, staged.SHA256) {
				return providers.Invalid(events[i].Provider, "document %s: its bytes do not match its sha256", doc.Name)
			}
			doc.StoredKey, doc.SHA256 = docstore.ContentKey(staged.SHA256), staged.SHA256
		}
	}
	return nil
}

// discard deletes what a request staged, whatever its answer: after a
// refusal nothing it carried stays, after an acceptance only the
// content-addressed copies do.
func discard(ctx context.Context, stage *docstore.Staging, log *slog.Logger) {
	if err := stage.Discard(ctx); err != nil {
		log.Warn("staged webhook documents not deleted", "error", err)
	}
}
