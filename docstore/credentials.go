package docstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// credentialPrefix holds rotated provider credentials, apart from documents.
const credentialPrefix = "credentials/"

// LoadCredential returns the credential stored under name, "" when none is
// (it implements providers.CredentialStore). Errors never carry the value.
func (s *Store) LoadCredential(ctx context.Context, name string) (string, error) {
	r, err := s.Open(ctx, credentialPrefix+name)
	if errors.Is(err, ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("docstore: credential %s: %w", name, err)
	}
	defer r.Close()
	b, err := io.ReadAll(io.LimitReader(r, 64<<10))
	if err != nil {
		return "", fmt.Errorf("docstore: credential %s: %w", name, err)
	}
	return strings.TrimSpace(string(b)), nil
}

// SaveCredential stores a credential as a private object: written whole
// (readers see the old or the new value, never half), owner-only (0600) in
// a local store; an S3 bucket must be private.
func (s *Store) SaveCredential(ctx context.Context, name, value string) error {
	if _, err := s.Put(ctx, credentialPrefix+name, strings.NewReader(value), "application/octet-stream"); err != nil {
		return fmt.Errorf("docstore: save credential %s: %w", name, err)
	}
	return nil
}
