// Package signing is firmaflow's provider-neutral model: what a caller asks for
// (Input), what a provider tells us (Event), where a process stands (State,
// Status) and what it produced (Result). Workflows, activities and the webhook
// bridge speak only these types; each provider package translates its own wire
// format to and from them.
//
// Every type here travels through Temporal as JSON, so field names are part of
// the public contract (see the README's schema).
package signing

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Workflow contract names. Other systems (any Temporal SDK language) depend on
// them; keep them stable.
const (
	WorkflowType     = "SigningProcess"
	DefaultTaskQueue = "firmaflow"
	SignalEvent      = "provider-event"
	QueryState       = "state"
	UpdateCancel     = "cancel"

	// Search attributes (Keyword) an operator filters on in the Temporal UI.
	AttrProvider    = "SigningProvider"
	AttrStatus      = "SigningStatus"
	AttrProviderRef = "SigningProviderRef"
)

// SearchAttributeNames lists the Keyword search attributes the stack registers.
var SearchAttributeNames = []string{AttrProvider, AttrStatus, AttrProviderRef}

// WorkflowIDPrefix starts every SigningProcess workflow id: "signing-<process id>".
const WorkflowIDPrefix = "signing-"

// WorkflowID is the workflow id of the process with the caller's id.
func WorkflowID(processID string) string { return WorkflowIDPrefix + processID }

// ArchiveProcessID is the process id of an archive-only process (one
// firmaflow did not send, started by the bridge from the provider's archive
// of it): derived from the provider's reference, so a redelivered archive
// lands in the same workflow.
func ArchiveProcessID(provider, ref string) string { return provider + "-archive-" + ref }

// Input starts a signing process: what a caller may set, and nothing else.
// What the workflow carries for itself (the state handed over by
// continue-as-new, an archive-only process's provider reference) is not
// part of it, so no caller can forge it.
type Input struct {
	// ProcessID is the caller's own id for the process; the workflow id is
	// derived from it, so it is an idempotency key: starting it again with the same
	// input returns the process, with another input is a conflict.
	ProcessID string `json:"process_id"`
	// Provider is one of the registered provider names (providers.Module.Name).
	Provider string `json:"provider"`
	// Title is shown to signers by the provider.
	Title string `json:"title"`
	// Message is an optional text for the signers' invitation.
	Message string `json:"message,omitempty"`
	// Documents are references into the document store, never file bytes:
	// workflow history is no place for blobs.
	Documents []DocumentRef `json:"documents"`
	Signers   []Signer      `json:"signers"`
	// Templates are provider template ids used instead of (or beside)
	// documents, where the provider has templates.
	Templates []string `json:"templates,omitempty"`
	// ExpiresInDays is how long signers have before the provider expires the process.
	ExpiresInDays int          `json:"expires_in_days,omitempty"`
	Resend        ResendPolicy `json:"resend_policy,omitempty"`
	// CallbackURL, when set, receives a signed notification (Standard
	// Webhooks) when the process ends; its host must be in
	// FIRMAFLOW_CALLBACK_HOSTS.
	CallbackURL string `json:"callback_url,omitempty"`
	// ReconcileEvery is how often a waiting process asks the provider for
	// its state, in case a notification was lost; it doubles after each
	// check up to 24h. Default 1h.
	ReconcileEvery Duration `json:"reconcile_every,omitempty"`
	// Options are provider-specific settings, documented per provider in the
	// README.
	Options map[string]string `json:"options,omitempty"`
}

// DocumentRef points at a document in the document store.
type DocumentRef struct {
	Name string `json:"name"`
	// Key is the object key in the configured document store.
	Key         string `json:"key"`
	ContentType string `json:"content_type,omitempty"`
	// Role is "" (a document to sign) or "attachment" (sent along, not signed).
	Role string `json:"role,omitempty"`
}

// RoleAttachment marks a document sent along but not signed.
const RoleAttachment = "attachment"

// Signer is one person who must sign.
type Signer struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Phone string `json:"phone,omitempty"`
	// Order is the signing order (1-based); equal orders sign in parallel.
	Order int `json:"order,omitempty"`
	// Options are provider-specific signer settings, documented per
	// provider in the README.
	Options map[string]string `json:"options,omitempty"`
}

// ResendPolicy bounds what the workflow does on its own when delivery fails or
// the process expires.
type ResendPolicy struct {
	// MaxResends after a delivery failure; beyond it the process ends delivery_failed.
	MaxResends int `json:"max_resends"`
	// MaxRenewals after an expiry; beyond it the process ends expired.
	MaxRenewals int `json:"max_renewals"`
	// Backoff before the first resend; it doubles for each further resend.
	Backoff Duration `json:"backoff,omitempty"`
}

// DefaultResendPolicy applies when an input gives no resend_policy at all;
// an input that gives one gets exactly its counts (so {"max_resends": 0,
// "max_renewals": 0} turns automatic resends and renewals off), with the
// default backoff if it names none.
var DefaultResendPolicy = ResendPolicy{MaxResends: 3, MaxRenewals: 1, Backoff: Duration(time.Minute)}

// Bounds of the input's durations and counts: beyond them a process would
// call its provider back-to-back, or wait past any provider's lifetime.
const (
	MinInterval      = 100 * time.Millisecond
	MaxInterval      = 24 * time.Hour
	MaxResendsLimit  = 20
	MaxRenewalsLimit = 20
	MaxExpiresInDays = 3650
	// MaxTitleBytes and MaxProcessIDBytes keep what providers derive from
	// them (document names, references, store keys) within the bounds of an
	// event (event_limits.go).
	MaxTitleBytes     = 200
	MaxProcessIDBytes = 128
)

// WithDefaults returns the input with defaults filled in.
func (in Input) WithDefaults() Input {
	if in.ExpiresInDays == 0 {
		in.ExpiresInDays = 30
	}
	if in.ReconcileEvery == 0 {
		in.ReconcileEvery = Duration(time.Hour)
	}
	if in.Resend == (ResendPolicy{}) {
		in.Resend = DefaultResendPolicy
	}
	if in.Resend.Backoff == 0 {
		in.Resend.Backoff = DefaultResendPolicy.Backoff
	}
	for i := range in.Signers {
		if in.Signers[i].Order == 0 {
			in.Signers[i].Order = 1
		}
	}
	return in
}

// Validate reports every problem with the input at once.
func (in Input) Validate() error {
	return errors.Join(append(in.shapeErrors(), in.boundsErrors()...)...)
}

// ValidateBounds checks only the bounds of durations and counts.
func (in Input) ValidateBounds() error { return errors.Join(in.boundsErrors()...) }

// ValidateWithoutBounds is Validate less the bounds of durations and counts:
// only for runs recorded before the bounds existed, which must replay as
// they ran.
func (in Input) ValidateWithoutBounds() error { return errors.Join(in.shapeErrors()...) }

// shapeErrors lists what is missing or malformed.
func (in Input) shapeErrors() []error {
	var errs []error
	if strings.TrimSpace(in.ProcessID) == "" {
		errs = append(errs, errors.New("process_id is required"))
	}
	if in.Provider == "" {
		errs = append(errs, errors.New("provider is required"))
	}
	if strings.TrimSpace(in.Title) == "" {
		errs = append(errs, errors.New("title is required"))
	}
	if len(in.Documents) == 0 && len(in.Templates) == 0 {
		errs = append(errs, errors.New("at least one document or template is required"))
	}
	for i, d := range in.Documents {
		if d.Key == "" || d.Name == "" {
			errs = append(errs, fmt.Errorf("documents[%d]: name and key are required", i))
		}
	}
	if len(in.Signers) == 0 {
		errs = append(errs, errors.New("at least one signer is required"))
	}
	for i, s := range in.Signers {
		if s.Name == "" || !strings.Contains(s.Email, "@") {
			errs = append(errs, fmt.Errorf("signers[%d]: name and a valid email are required", i))
		}
		if s.Order < 0 {
			errs = append(errs, fmt.Errorf("signers[%d]: order must not be negative", i))
		}
	}
	if in.CallbackURL != "" {
		if u, err := url.Parse(in.CallbackURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, errors.New("callback_url must be an absolute http(s) URL"))
		}
	}
	return errs
}

// boundsErrors checks durations and counts against their bounds. Zero
// values mean "default" and are filled in by WithDefaults.
func (in Input) boundsErrors() []error {
	var errs []error
	between := func(name string, v, lo, hi int) {
		if v < lo || v > hi {
			errs = append(errs, fmt.Errorf("%s must be between %d and %d, got %d", name, lo, hi, v))
		}
	}
	interval := func(name string, d Duration) {
		if d != 0 && (time.Duration(d) < MinInterval || time.Duration(d) > MaxInterval) {
			errs = append(errs, fmt.Errorf("%s must be between %s and %s, got %s", name, MinInterval, MaxInterval, time.Duration(d)))
		}
	}
	between("expires_in_days", in.ExpiresInDays, 0, MaxExpiresInDays)
	between("length of title in bytes", len(in.Title), 0, MaxTitleBytes)
	between("length of process_id in bytes", len(in.ProcessID), 0, MaxProcessIDBytes)
	between("resend_policy.max_resends", in.Resend.MaxResends, 0, MaxResendsLimit)
	between("resend_policy.max_renewals", in.Resend.MaxRenewals, 0, MaxRenewalsLimit)
	interval("resend_policy.backoff", in.Resend.Backoff)
	interval("reconcile_every", in.ReconcileEvery)
	return errs
}

// Duration is a time.Duration that reads and writes JSON as "90s", "5m", "1h".
type Duration time.Duration

func (d Duration) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Duration(d).String() + `"`), nil
}

func (d *Duration) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		*d = 0
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q: %w", s, err)
	}
	*d = Duration(v)
	return nil
}
