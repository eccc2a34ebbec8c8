package oracle

import (
	"context"
	"fmt"

	"github.com/firmaflow/firmaflow/signing"
)

// Describer re-reads a stored document (docstore.Store does).
type Describer interface {
	Describe(ctx context.Context, key string) (signing.StoredDocument, error)
}

// VerifyStored re-reads every document a process's state lists from the
// document store and checks its bytes against the recorded sha256 and
// size. It returns how many match and what is wrong with the others.
func VerifyStored(ctx context.Context, store Describer, docs []signing.StoredDocument) (matching int, problems []string) {
	for _, d := range docs {
		got, err := store.Describe(ctx, d.Key)
		switch {
		case err != nil:
			problems = append(problems, fmt.Sprintf("stored document %s: %v", d.Key, err))
		case got.SHA256 != d.SHA256 || got.Size != d.Size:
			problems = append(problems, fmt.Sprintf("stored document %s: bytes are %s (%d bytes), recorded %s (%d bytes)",
				d.Key, got.SHA256, got.Size, d.SHA256, d.Size))
		default:
			matching++
		}
	}
	return matching, problems
}
