package docstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"sync"
	"time"

	"github.com/google/uuid"
	"gocloud.dev/blob"

	"github.com/firmaflow/firmaflow/signing"
)

// stagingPrefix holds documents a webhook carried inline while the webhook
// is being checked. Nothing names a staged object once its request is over.
const stagingPrefix = "webhooks/staging/"

// Staging keeps the documents of one webhook request apart until the
// request's fate is known: Promote files them by content once the events
// are accepted, Discard removes whatever the request staged. It implements
// providers.Store: the key a parser asks for only names the document; each
// Put goes to a unique staging key, which it returns.
type Staging struct {
	store *Store
	id    string

	mu     sync.Mutex
	staged []signing.StoredDocument
}

// Stage starts the staging area of one webhook request.
func (s *Store) Stage() *Staging {
	return &Staging{store: s, id: uuid.NewString()}
}

// Put streams r to a new staging key and records it.
func (st *Staging) Put(ctx context.Context, key string, r io.Reader, contentType string) (signing.StoredDocument, error) {
	st.mu.Lock()
	n := len(st.staged)
	// Reserve the slot before streaming (Puts may overlap).
	st.staged = append(st.staged, signing.StoredDocument{})
	st.mu.Unlock()
	// Flat keys: a local store keeps no directory per request.
	stagedKey := fmt.Sprintf("%s%s-%03d", stagingPrefix, st.id, n)
	doc, err := st.store.Put(ctx, stagedKey, r, contentType)
	if err != nil {
		return doc, err
	}
	doc.Name = path.Base(key)
	st.mu.Lock()
	st.staged[n] = doc
	st.mu.Unlock()
	return doc, nil
}

// Staged returns the document staged under key, if this request staged it.
func (st *Staging) Staged(key string) (signing.StoredDocument, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, d := range st.staged {
		if d.Key != "" && d.Key == key {
			return d, true
		}
	}
	return signing.StoredDocument{}, false
}

// Promote copies every staged document to its content-addressed key
// (ContentKey of its SHA-256), written only if absent: the same key always
// holds the same bytes, so an existing object is kept as it is and no
// object a result names is ever replaced.
func (st *Staging) Promote(ctx context.Context) error {
	st.mu.Lock()
	staged := append([]signing.StoredDocument(nil), st.staged...)
	st.mu.Unlock()
	for _, d := range staged {
		if d.Key == "" {
			continue
		}
		if err := st.store.promote(ctx, d); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) promote(ctx context.Context, d signing.StoredDocument) error {
	dst := ContentKey(d.SHA256)
	if size, err := s.Size(ctx, dst); err == nil {
		if size != d.Size {
			return fmt.Errorf("docstore: %s holds %d bytes, not the %d its name promises", dst, size, d.Size)
		}
		return nil
	}
	r, err := s.Open(ctx, d.Key)
	if err != nil {
		return fmt.Errorf("docstore: promote %s: %w", d.Key, err)
	}
	defer r.Close()
	_, err = s.write(ctx, dst, r, d.ContentType, writeOptions{ifNotExist: true, wantSHA256: d.SHA256})
	if err != nil && !errors.Is(err, ErrExists) { // another request promoted the same bytes first
		return fmt.Errorf("docstore: promote %s: %w", d.Key, err)
	}
	return nil
}

// Discard deletes every object this request staged. It runs whatever
// happened to the request (a client that went away included), so it does
// not use the request's cancellation.
func (st *Staging) Discard(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	st.mu.Lock()
	staged := append([]signing.StoredDocument(nil), st.staged...)
	st.mu.Unlock()
	var first error
	for _, d := range staged {
		if d.Key == "" {
			continue
		}
		if err := st.store.Delete(ctx, d.Key); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// SweepStaging deletes staged objects older than age: those of requests a
// bridge never finished (it crashed or was killed mid-request). No event
// names a staged object, so nothing depends on them. It returns how many
// it deleted.
func (s *Store) SweepStaging(ctx context.Context, age time.Duration) (int, error) {
	cutoff := time.Now().Add(-age)
	it := s.bucket.List(&blob.ListOptions{Prefix: stagingPrefix})
	deleted := 0
	for {
		o, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			return deleted, nil
		}
		if err != nil {
			return deleted, fmt.Errorf("docstore: list staged objects: %w", err)
		}
		if o.IsDir || o.ModTime.After(cutoff) {
			continue
		}
		if err := s.Delete(ctx, o.Key); err != nil {
			return deleted, err
		}
		deleted++
	}
}
