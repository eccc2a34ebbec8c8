// Package providers defines the one small interface every e-signature provider
// implements, and the typed errors that tell retryable failures from final ones.
// Each provider lives in its own subpackage (providers/arqsign, ...) and is the
// only code that knows its wire format.
package providers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/firmaflow/firmaflow/signing"
)

// Document is an input document opened for sending.
type Document struct {
	signing.DocumentRef
	Size int64
	// Open returns a fresh reader of the document's bytes each time it is called,
	// so a provider can retry or stream without buffering.
	Open func(ctx context.Context) (io.ReadCloser, error)
}

// SendRequest is what a provider needs to open a process.
type SendRequest struct {
	Input     signing.Input
	Documents []Document
	// Retry is set when an earlier attempt of this send may have reached
	// the provider (its worker crashed, or the answer was lost) and Since is
	// when the first attempt began. A provider that can look its processes
	// up adopts the one that attempt opened instead of opening a second.
	Retry bool
	Since time.Time
	// Resume is the progress the earlier attempt checkpointed, nil if none.
	Resume []byte
	// Checkpoint, when set, durably records progress of a multi-step send
	// before the next step, so a retry resumes from the step reached
	// (Autosign). An error from it fails the send.
	Checkpoint func(ctx context.Context, progress []byte) error
}

// Save calls Checkpoint when there is one.
func (r SendRequest) Save(ctx context.Context, progress []byte) error {
	if r.Checkpoint == nil {
		return nil
	}
	return r.Checkpoint(ctx, progress)
}

// SendResult identifies the process at the provider.
type SendResult struct {
	ProviderRef string
}

// Provider is an e-signature provider's API, as a signing process uses it.
type Provider interface {
	Name() string
	// Send opens the process at the provider and invites the signers.
	Send(ctx context.Context, req SendRequest) (SendResult, error)
	// Resend invites again the signers who have not signed (after a delivery failure).
	Resend(ctx context.Context, ref string) error
	// Renew gives the pending signers a fresh deadline (after an expiry).
	Renew(ctx context.Context, ref string, expiresInDays int) error
	// Cancel ends the process at the provider.
	Cancel(ctx context.Context, ref, reason string) error
	// Status reads the provider's view of the process.
	Status(ctx context.Context, ref string) (signing.Status, error)
	// Download opens a result document the provider announced.
	Download(ctx context.Context, doc signing.EventDocument) (io.ReadCloser, error)
}

// Store is where the webhook parser puts document bytes a provider pushes
// inline (Base64 in the webhook), so the signal carries a reference only.
// key names the document; the store may file it under another key (the
// bridge stages it under a key of its own and, once the webhook is
// accepted, files it by content), so the parser keeps the returned Key.
type Store interface {
	Put(ctx context.Context, key string, r io.Reader, contentType string) (signing.StoredDocument, error)
}

// Webhook turns a provider's notification into neutral events.
type Webhook interface {
	// Parse reads one notification. subpath is what followed
	// /webhooks/{provider} in the URL. A malformed body yields an
	// *InvalidPayloadError.
	Parse(ctx context.Context, subpath string, header http.Header, body io.Reader, store Store) ([]signing.Event, error)
	// Acknowledge writes the answer the provider's docs ask for: err is nil
	// when every event was delivered.
	Acknowledge(w http.ResponseWriter, err error)
}

// Snapshot is a provider's current view of a process, read to reconcile
// notifications that never arrived.
type Snapshot struct {
	Status signing.Status
	// Signed lists the signers who have signed.
	Signed []signing.SignerRef
	// Reason and RejectedBy explain a rejection or cancellation.
	Reason     string
	RejectedBy *signing.SignerRef
	// Documents are the results, when the process completed and the
	// provider lists them (without them a completion cannot be reconciled).
	Documents []signing.EventDocument
}

// Reconciler is implemented by providers that can report a process's full
// state on demand. Providers without it are reconciled from Status alone.
type Reconciler interface {
	Reconcile(ctx context.Context, ref string) (Snapshot, error)
}

// TokenGate is implemented by providers whose account spends tokens to
// finish documents (Contractualis): without tokens, fully signed documents
// wait as "ready" until FinishReady is called.
type TokenGate interface {
	// TokensAvailable returns the account's token balance.
	TokensAvailable(ctx context.Context) (int, error)
	// FinishReady finishes the process's document if it waits as ready. It
	// reports false, without error, when the document is not (or no longer)
	// ready, so that a retried call never spends a second token.
	FinishReady(ctx context.Context, ref string) (bool, error)
}

// ReferenceIsProcessID is implemented by providers whose reference for a
// process is firmaflow's process id (the provider is given it and echoes
// it): their webhooks address the process directly and no route is kept.
type ReferenceIsProcessID interface {
	ReferenceIsProcessID()
}

// AccountEvents is implemented by providers that send account-wide events
// (signing.Event.AccountWide): their processes join the provider's account
// workflow when they are sent.
type AccountEvents interface {
	AccountEvents()
}

// UnsupportedError: the provider's API has no such operation (for example
// Autosign has no cancel endpoint). It is final.
type UnsupportedError struct {
	Provider, Op, Detail string
}

func (e *UnsupportedError) Error() string {
	msg := fmt.Sprintf("%s: %s is not supported by the provider's API", e.Provider, e.Op)
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

// Unsupported builds an *UnsupportedError.
func Unsupported(provider, op, detail string) error {
	return &UnsupportedError{Provider: provider, Op: op, Detail: detail}
}

// SignedWebhook is implemented by providers that sign each notification
// (an HMAC of the body with the shared secret). The bridge then reads the
// whole body (capped, within its memory budget) and calls Verify before
// Parse; other providers present the shared secret as a token, checked
// before the body is read.
type SignedWebhook interface {
	// HasSignature reports whether the headers carry a well-formed
	// signature at all, so that an unsigned request is refused before its
	// body is read.
	HasSignature(header http.Header) bool
	// Verify checks the signature against the body, read to its end.
	Verify(header http.Header, body io.Reader, secret string) bool
}

// BodyCappedWebhook is implemented by providers whose notifications carry
// ids and links but never files: the bridge caps their bodies at
// MaxWebhookBodyBytes instead of its general cap.
type BodyCappedWebhook interface {
	MaxWebhookBodyBytes() int64
}

// InvalidPayloadError is a webhook the provider should not send again as is.
type InvalidPayloadError struct {
	Provider string
	Reason   string
}

func (e *InvalidPayloadError) Error() string {
	return fmt.Sprintf("%s: invalid webhook payload: %s", e.Provider, e.Reason)
}

// Invalid builds an *InvalidPayloadError.
func Invalid(provider, format string, args ...any) error {
	return &InvalidPayloadError{Provider: provider, Reason: fmt.Sprintf(format, args...)}
}

// APIError is a failed call to a provider's API.
type APIError struct {
	Provider string
	Op       string
	// StatusCode is the HTTP status, 0 when no response arrived.
	StatusCode int
	// Message is the provider's own explanation, when it gave one.
	Message string
	// RetryAfter is the provider's Retry-After, when it sent one.
	RetryAfter time.Duration
	Err        error
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("%s: %s", e.Provider, e.Op)
	if e.StatusCode != 0 {
		msg += fmt.Sprintf(": HTTP %d", e.StatusCode)
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *APIError) Unwrap() error { return e.Err }

// Retryable reports whether trying the same call later may succeed:
// transport errors, timeouts, 408, 429 and 5xx.
func (e *APIError) Retryable() bool {
	switch {
	case e.StatusCode == 0:
		return true
	case e.StatusCode == http.StatusRequestTimeout, e.StatusCode == http.StatusTooManyRequests:
		return true
	case e.StatusCode >= 500:
		return true
	}
	return false
}

// IsRetryable reports whether err is worth retrying. Errors that are not
// *APIError (bugs, store failures) are retried: Temporal's retry policy bounds them.
func IsRetryable(err error) bool {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return apiErr.Retryable()
	}
	var invalid *InvalidPayloadError
	var unsupported *UnsupportedError
	return !errors.As(err, &invalid) && !errors.As(err, &unsupported)
}

// ParseRetryAfter reads a Retry-After header (seconds or HTTP date).
func ParseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	var secs int
	if _, err := fmt.Sscanf(v, "%d", &secs); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// Description is what a provider says a process is: enough to recognise a
// process firmaflow opened without learning its reference.
type Description struct {
	Name string
	// SignerEmails are the signers' addresses, lower case.
	SignerEmails []string
	// Live: the process can still be signed (not cancelled or completed).
	Live bool
}

// Describer is implemented by providers that read a process's name and
// signers by reference but have neither an idempotency key nor a listing
// (ArqSIGN). A send whose answer was lost is then recognised by the
// process's own announcement: its first webhook reaches the bridge with no
// owner and waits in an inbox, whose reference Describe checks.
type Describer interface {
	Describe(ctx context.Context, ref string) (Description, error)
}
