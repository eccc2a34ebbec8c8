package providers

import "context"

// CredentialStore keeps credentials a provider rotates (Autosign's refresh
// token) where every worker sees them, so that a token rotated by one worker
// is the one the others, and a restarted worker, use next. Values are
// secrets: implementations store them owner-only and never log them.
type CredentialStore interface {
	// LoadCredential returns the stored value of name, "" when there is none.
	LoadCredential(ctx context.Context, name string) (string, error)
	// SaveCredential replaces the stored value of name.
	SaveCredential(ctx context.Context, name, value string) error
}
