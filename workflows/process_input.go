package workflows

import (
	"errors"
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/firmaflow/firmaflow/routing"
	"github.com/firmaflow/firmaflow/signing"
)

// ProcessInput is what SigningProcess runs on: the caller's public input
// and the fields only firmaflow sets. Its JSON is the public input's plus
// archive_only, provider_ref and continued, the names these fields had when
// they were part of signing.Input, so recorded runs decode unchanged.
type ProcessInput struct {
	signing.Input
	// ArchiveOnly marks a process firmaflow did not send: the bridge starts
	// it from a provider's archive notification, with ProviderRef already
	// known. Such a process only stores the results.
	ArchiveOnly bool   `json:"archive_only,omitempty"`
	ProviderRef string `json:"provider_ref,omitempty"`
	// Continued is set by the workflow itself when it continues as new (a
	// long process's history grows too large).
	Continued *Continuation `json:"continued,omitempty"`
}

// Continuation carries a process across continue-as-new: the state so far,
// the dedup keys, and the signals that arrived but were not yet handled.
type Continuation struct {
	State    signing.State   `json:"state"`
	SeenKeys []string        `json:"seen_keys"`
	Pending  []signing.Event `json:"pending,omitempty"`
	Runs     int             `json:"runs"`
}

// ArchiveInput is the input of the archive-only process the bridge starts
// for a provider process firmaflow did not send. Its process id is derived
// from the reference, which is what lets the workflow trust it
// (checkInternals).
func ArchiveInput(provider, ref string) ProcessInput {
	a := routing.ArchiveInput(provider, ref)
	return ProcessInput{Input: a.Input, ArchiveOnly: a.ArchiveOnly, ProviderRef: a.ProviderRef}
}

// checkInternals refuses a run whose internal fields a client set. Only a
// run started by continue-as-new gets a continuation (Temporal sets
// ContinuedExecutionRunID, which no client can; a cron run has it too, but
// repeats its first run's input, so it is not trusted). Only the
// archive-only process in the bridge's own form carries a provider
// reference: under the workflow id derived from that reference, so a
// client cannot attach a process of its own to another process's
// reference, and an archive-only process never cancels anything at the
// provider (validateCancel, onTemporalCancel).
func checkInternals(info *workflow.Info, in ProcessInput) error {
	if info.ContinuedExecutionRunID != "" && info.CronSchedule == "" {
		return nil
	}
	var errs []error
	if in.Continued != nil {
		errs = append(errs, errors.New("continued is set only by the workflow itself when it continues as new"))
	}
	if in.ArchiveOnly || in.ProviderRef != "" {
		archiveID := signing.ArchiveProcessID(in.Provider, in.ProviderRef)
		if !in.ArchiveOnly || in.ProviderRef == "" || in.ProcessID != archiveID ||
			info.WorkflowExecution.ID != signing.WorkflowID(archiveID) {
			errs = append(errs, errors.New("archive_only and provider_ref are set only by the bridge, "+
				"for the archive-only process signing-<provider>-archive-<provider_ref>"))
		}
	}
	return errors.Join(errs...)
}

// validate checks the input; bounded adds the bounds of durations and
// counts (runs recorded before the bounds replay without them). An
// archive-only process has no title, documents or signers of its own.
func (in ProcessInput) validate(bounded bool) error {
	if !in.ArchiveOnly {
		if bounded {
			return in.Input.Validate()
		}
		return in.Input.ValidateWithoutBounds()
	}
	var errs []error
	if strings.TrimSpace(in.ProcessID) == "" {
		errs = append(errs, errors.New("process_id is required"))
	}
	if in.Provider == "" {
		errs = append(errs, errors.New("provider is required"))
	}
	if in.ProviderRef == "" {
		errs = append(errs, errors.New("provider_ref is required for an archive-only process"))
	}
	if bounded {
		errs = append(errs, in.Input.ValidateBounds())
	}
	return errors.Join(errs...)
}
