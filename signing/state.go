package signing

import "time"

// Status is where a process stands. It is also the SigningStatus search attribute.
type Status string

const (
	StatusSending            Status = "sending"
	StatusAwaitingSignatures Status = "awaiting_signatures"
	StatusResending          Status = "resending"
	StatusRenewing           Status = "renewing"
	StatusCancelling         Status = "cancelling"
	StatusFetchingDocuments  Status = "fetching_documents"
	// StatusAwaitingTokens: everyone signed, but the provider account has no
	// tokens to finish the document; the process checks back on a backoff.
	StatusAwaitingTokens Status = "awaiting_tokens"

	StatusCompleted      Status = "completed"
	StatusRejected       Status = "rejected"
	StatusCancelled      Status = "cancelled"
	StatusExpired        Status = "expired"
	StatusDeliveryFailed Status = "delivery_failed"
	StatusFailed         Status = "failed"
)

// Terminal reports whether the process has ended.
func (s Status) Terminal() bool {
	switch s {
	case StatusCompleted, StatusRejected, StatusCancelled, StatusExpired, StatusDeliveryFailed, StatusFailed:
		return true
	}
	return false
}

// SignerStatus is one signer's progress.
type SignerStatus string

const (
	SignerPending        SignerStatus = "pending"
	SignerSigned         SignerStatus = "signed"
	SignerDeliveryFailed SignerStatus = "delivery_failed"
	SignerRejected       SignerStatus = "rejected"
)

// SignerState is a signer as the state query shows them.
type SignerState struct {
	Signer
	Status   SignerStatus `json:"status"`
	SignedAt time.Time    `json:"signed_at,omitzero"`
}

// EventRecord is a line of the process's event log in the state query.
type EventRecord struct {
	Key        string    `json:"key"`
	Type       EventType `json:"type"`
	ReceivedAt time.Time `json:"received_at"`
	// Effect says what the workflow did with it ("applied", "duplicate", "ignored: ...").
	Effect string `json:"effect"`
}

// State is the live state of a process, answered by the state query.
type State struct {
	ProcessID   string        `json:"process_id"`
	Provider    string        `json:"provider"`
	ProviderRef string        `json:"provider_ref,omitempty"`
	Status      Status        `json:"status"`
	Reason      string        `json:"reason,omitempty"`
	RejectedBy  *SignerRef    `json:"rejected_by,omitempty"`
	Signers     []SignerState `json:"signers"`
	Resends     int           `json:"resends"`
	Renewals    int           `json:"renewals"`
	// NextResendAt is set while a resend waits for its backoff.
	NextResendAt time.Time `json:"next_resend_at,omitzero"`
	// LastResendAt is when the last resend was asked of the provider; a
	// delivery failure the provider dates before it is stale.
	LastResendAt time.Time `json:"last_resend_at,omitzero"`
	// WithdrawError says why withdrawing the process at the provider failed
	// when firmaflow gave up on it or was told to cancel it.
	WithdrawError string `json:"withdraw_error,omitempty"`
	// TokenChecks counts balance checks while awaiting tokens;
	// NextTokenCheckAt is set while one is scheduled.
	TokenChecks      int       `json:"token_checks,omitempty"`
	NextTokenCheckAt time.Time `json:"next_token_check_at,omitzero"`
	// Reconciliations counts provider state checks; NextReconcileAt is set
	// while one is scheduled.
	Reconciliations int       `json:"reconciliations,omitempty"`
	NextReconcileAt time.Time `json:"next_reconcile_at,omitzero"`
	// FinishedWithTokens: firmaflow finished the ready document once tokens were back.
	FinishedWithTokens bool             `json:"finished_with_tokens,omitempty"`
	Documents          []StoredDocument `json:"documents,omitempty"`
	Events             []EventRecord    `json:"events"`
	StartedAt          time.Time        `json:"started_at"`
	UpdatedAt          time.Time        `json:"updated_at"`
}

// StoredDocument is a document firmaflow keeps in its document store.
type StoredDocument struct {
	Kind        DocumentKind `json:"kind"`
	Name        string       `json:"name"`
	Key         string       `json:"key"`
	ContentType string       `json:"content_type,omitempty"`
	Size        int64        `json:"size"`
	SHA256      string       `json:"sha256"`
}

// Result is what a finished SigningProcess returns. Rejections, cancellations
// and expiries are results, not workflow failures: the process ran correctly.
type Result struct {
	ProcessID   string           `json:"process_id"`
	Provider    string           `json:"provider"`
	ProviderRef string           `json:"provider_ref"`
	Status      Status           `json:"status"`
	Reason      string           `json:"reason,omitempty"`
	RejectedBy  *SignerRef       `json:"rejected_by,omitempty"`
	Documents   []StoredDocument `json:"documents,omitempty"`
	Resends     int              `json:"resends"`
	Renewals    int              `json:"renewals"`
	// WithdrawError says why withdrawing the process at the provider failed
	// (the provider process may still be open there).
	WithdrawError string    `json:"withdraw_error,omitempty"`
	EndedAt       time.Time `json:"ended_at"`
}

// CancelRequest is the argument of the cancel update.
type CancelRequest struct {
	Reason string `json:"reason"`
}
