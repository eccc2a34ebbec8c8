package activities

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"go.temporal.io/sdk/temporal"

	"github.com/firmaflow/firmaflow/docstore"
	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/signing"
)

// FetchDocuments brings a completed process's documents into the store and
// returns them with size and SHA-256. Documents the bridge already stored
// (pushed inline by the provider) are verified rather than downloaded.
// No object a result names is ever replaced: downloads are written only if
// absent, and inline documents are kept by content.
func (a *Activities) FetchDocuments(ctx context.Context, in FetchInput) ([]signing.StoredDocument, error) {
	p, err := a.provider(in.Provider)
	if err != nil {
		return nil, err
	}
	defer keepAlive(ctx)()
	out := make([]signing.StoredDocument, 0, len(in.Documents))
	for i, doc := range in.Documents {
		var stored signing.StoredDocument
		if doc.StoredKey != "" {
			stored, err = a.inlineDocument(ctx, doc)
		} else {
			stored, err = a.download(ctx, p, in, i, doc)
		}
		if err != nil {
			return nil, err
		}
		if doc.SHA256 != "" && !strings.EqualFold(doc.SHA256, stored.SHA256) {
			return nil, temporal.NewNonRetryableApplicationError(
				fmt.Sprintf("fetch %s: SHA-256 %s differs from the recorded %s", doc.Name, stored.SHA256, doc.SHA256),
				ErrTypeDocument, nil)
		}
		stored.Kind, stored.Name = doc.Kind, doc.Name
		if stored.ContentType == "" {
			stored.ContentType = doc.ContentType
		}
		out = append(out, stored)
	}
	a.logger(ctx).Info("documents stored", "provider", in.Provider, "provider_ref", in.ProviderRef, "count", len(out))
	return out, nil
}

// webhookPrefix is where the bridge files the documents webhooks carry:
// by content (webhooks/sha256/<hex>) since documents became immutable, and
// webhooks/<provider>/... in events recorded before.
const webhookPrefix = "webhooks/"

// inlineDocument verifies a document the bridge stored. The event records
// its SHA-256 (checked by the caller); a content-addressed key must hold
// the bytes it names. A key the bridge never files is refused, so an event
// cannot make a result of another object in the store.
func (a *Activities) inlineDocument(ctx context.Context, doc signing.EventDocument) (signing.StoredDocument, error) {
	if !strings.HasPrefix(doc.StoredKey, webhookPrefix) {
		return signing.StoredDocument{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("fetch %s: stored key %q is not one the bridge files", doc.Name, doc.StoredKey), ErrTypeDocument, nil)
	}
	stored, err := a.Store.Describe(ctx, doc.StoredKey)
	if err != nil {
		return signing.StoredDocument{}, fmt.Errorf("fetch %s: %w", doc.Name, err)
	}
	if want, ok := docstore.ContentSHA256(doc.StoredKey); ok && want != stored.SHA256 {
		return signing.StoredDocument{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("fetch %s: %s holds bytes with SHA-256 %s", doc.Name, doc.StoredKey, stored.SHA256), ErrTypeDocument, nil)
	}
	return stored, nil
}

func (a *Activities) download(ctx context.Context, p providers.Provider, in FetchInput, i int, doc signing.EventDocument) (signing.StoredDocument, error) {
	key := DocumentKey(in.ProcessID, i, doc)
	// A retry after a crash finds what the first attempt stored: objects
	// appear only whole (writes commit atomically), and the key is this
	// process's alone, so it is not fetched twice.
	stored, err := a.Store.Describe(ctx, key)
	if err == nil {
		return stored, nil
	}
	if !errors.Is(err, docstore.ErrNotFound) {
		return signing.StoredDocument{}, fmt.Errorf("fetch %s: %w", doc.Name, err)
	}
	body, err := p.Download(ctx, doc)
	if err != nil {
		return signing.StoredDocument{}, classify(fmt.Errorf("fetch %s: %w", doc.Name, err))
	}
	defer body.Close()
	content := bufio.NewReader(body)
	if err := checkType(content, doc); err != nil {
		return signing.StoredDocument{}, err
	}
	stored, err = a.Store.PutNew(ctx, key, content, doc.ContentType)
	if errors.Is(err, docstore.ErrExists) {
		// Another attempt of this fetch stored it meanwhile: theirs stays.
		stored, err = a.Store.Describe(ctx, key)
	}
	if err != nil {
		return signing.StoredDocument{}, classify(fmt.Errorf("fetch %s: %w", doc.Name, err))
	}
	return stored, nil
}

// checkType refuses a download that is not what the provider announced: a
// "PDF" must start like one. It reads nothing from the stream (Peek).
func checkType(r *bufio.Reader, doc signing.EventDocument) error {
	if doc.ContentType != "application/pdf" {
		return nil
	}
	head, err := r.Peek(5)
	if err != nil && !errors.Is(err, io.EOF) {
		return classify(fmt.Errorf("fetch %s: %w", doc.Name, err))
	}
	if !bytes.Equal(head, []byte("%PDF-")) {
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("fetch %s: the download is not a PDF", doc.Name), ErrTypeDocument, nil)
	}
	return nil
}

// DocumentKey is where a result document of a process is stored:
// documents/<process id>/<kind>/<index>-<name>, each part escaped by
// docstore.Segment. It depends only on the process and the document, so a
// retried fetch finds its earlier attempt's object, and it is injective, so
// no two processes (t/1 and t_1) or documents ever share a key. (Keys under
// processes/ were lossy; the new root keeps every old object out of reach:
// "processes/t_1/..." could be t/1's.)
func DocumentKey(processID string, index int, doc signing.EventDocument) string {
	return fmt.Sprintf("documents/%s/%s/%02d-%s",
		docstore.Segment(processID), docstore.Segment(string(doc.Kind)), index, docstore.Segment(doc.Name))
}
