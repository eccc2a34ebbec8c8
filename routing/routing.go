// Package routing addresses provider events to signing processes by
// workflow id, never by a visibility query: visibility is eventually
// consistent and rate-limited, so it can neither route every event nor
// route it at the rate providers post.
//
// An event reaches its process one of three ways:
//   - directly, when the provider echoes an id of ours (Event.ProcessID);
//   - through the process's route, a small workflow per provider process
//     (RouteWorkflowID) in which the send registers the owning process
//     before it returns; the route holds events that arrive before that
//     and hands them over once it is registered;
//   - account-wide events through the provider's account workflow, which
//     every process of that provider joins when it is sent.
//
// The package is client-side: the bridge and the starter use it without
// importing the worker's workflow or activity code.
package routing

import (
	"strings"
	"time"

	"github.com/firmaflow/firmaflow/signing"
)

// Workflow types and signals of the routing workflows. They are part of
// the contract with running workflows: keep them stable.
const (
	RouteWorkflowType   = "ProcessRoute"
	AccountWorkflowType = "ProviderAccount"
	// SignalRegisterOwner names the owner of a route (OwnerRegistration).
	SignalRegisterOwner = "register-owner"
	// SignalJoinAccount adds a process to its provider's account (Member).
	SignalJoinAccount = "join-account"
	// MemoOwner is the route's memo entry holding the owner's workflow id,
	// read by the bridge with DescribeWorkflowExecution (strongly consistent).
	MemoOwner = "owner"
)

// Route statuses (SigningStatus of a route run), for operators. A route
// starts with its status indexed (RouteRouted when the send's registration
// starts it, RouteHolding when an event does), so an owned route writes
// nothing more to visibility until its owner ends.
const (
	RouteHolding    = "route_holding"
	RouteUnclaimed  = "route_unclaimed"
	RouteRouted     = "route_routed"
	RouteOwnerEnded = "route_owner_ended"
)

// OwnerRegistration names the signing process that owns a provider process.
type OwnerRegistration struct {
	WorkflowID string `json:"workflow_id"`
}

// Member is a signing process that takes its provider's account-wide events.
type Member struct {
	WorkflowID string `json:"workflow_id"`
}

// RouteWorkflowID is the route of one provider process. Provider names
// have no "/", so the id is injective in (provider, ref).
func RouteWorkflowID(provider, ref string) string { return "route-" + provider + "/" + ref }

// AccountWorkflowID is the account workflow of a provider (one account
// per provider per deployment).
func AccountWorkflowID(provider string) string { return "account-" + provider }

// ValidProviderName reports whether a provider name can be part of a
// routing id: lower-case letters, digits, '_' and '-'.
func ValidProviderName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	return strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") == ""
}

// RouteInput starts (or continues) a route.
type RouteInput struct {
	Provider    string `json:"provider"`
	ProviderRef string `json:"provider_ref"`
	// ClaimWindow is how long events may wait for an owner before the route
	// shows as unclaimed to operators (it keeps holding them). Default 24h.
	ClaimWindow signing.Duration `json:"claim_window,omitempty"`
	// Grace is how long the route outlives its owner, for late
	// redeliveries. Default 7 days.
	Grace signing.Duration `json:"grace,omitempty"`
	// The rest carries a route across continue-as-new.
	Owner         string          `json:"owner,omitempty"`
	Held          []signing.Event `json:"held,omitempty"`
	Unclaimed     bool            `json:"unclaimed,omitempty"`
	OwnerClosedAt time.Time       `json:"owner_closed_at,omitzero"`
}

// AccountInput starts (or continues) a provider's account workflow.
type AccountInput struct {
	Provider string `json:"provider"`
	// Members carries the open processes across continue-as-new.
	Members []string `json:"members,omitempty"`
	// Pending carries events received but not yet broadcast.
	Pending []signing.Event `json:"pending,omitempty"`
}

// ArchiveStart is the input of an archive-only SigningProcess: the public
// input plus the two internal fields the workflow accepts only in this
// form (its JSON is the workflow's ProcessInput's; a workflows test keeps
// them equal).
type ArchiveStart struct {
	signing.Input
	ArchiveOnly bool   `json:"archive_only"`
	ProviderRef string `json:"provider_ref"`
}

// ArchiveInput is the archive-only process the bridge starts for a
// provider process firmaflow did not send: its id is derived from the
// reference, so a redelivered archive lands in the same workflow.
func ArchiveInput(provider, ref string) ArchiveStart {
	return ArchiveStart{
		Input: signing.Input{
			ProcessID: signing.ArchiveProcessID(provider, ref),
			Provider:  provider,
			Title:     provider + " archive " + ref,
		},
		ArchiveOnly: true,
		ProviderRef: ref,
	}
}
