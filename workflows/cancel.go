package workflows

import (
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/firmaflow/firmaflow/activities"
	"github.com/firmaflow/firmaflow/signing"
)

// TemporalCancelReason is the reason a process cancelled from Temporal
// (the UI's "Request Cancellation", `temporal workflow cancel`) ends with.
const TemporalCancelReason = "cancellation requested in Temporal"

func (p *process) validateCancel(ctx workflow.Context, req signing.CancelRequest) error {
	switch {
	case p.state.Status.Terminal():
		return fmt.Errorf("process already ended with status %s", p.state.Status)
	case !p.cancelsAtProvider():
		return errors.New("an archive-only process cannot be cancelled: firmaflow did not send it, and the provider reported it finished")
	case p.cancelPending:
		return errors.New("a cancel is already in progress")
	case p.state.Status == signing.StatusFetchingDocuments:
		return errors.New("process is completing: all signers have signed")
	case strings.TrimSpace(req.Reason) == "":
		return errors.New("reason is required")
	}
	return nil
}

// cancelsAtProvider reports whether the process may cancel its provider
// process. An archive-only process may not: firmaflow did not send it, and
// a cancel would withdraw someone else's finished process. Archive-only
// runs recorded before this rule replay as they ran.
func (p *process) cancelsAtProvider() bool { return !p.in.ArchiveOnly || !p.guardsInternals }

func (p *process) handleCancelUpdate(ctx workflow.Context, req signing.CancelRequest) (signing.State, error) {
	p.cancelPending, p.cancelDone, p.cancelErr = true, false, nil
	defer func() { p.cancelPending = false }()
	p.cancelRequests.Send(ctx, req)
	if err := workflow.Await(ctx, func() bool { return p.cancelDone || p.state.Status.Terminal() }); err != nil {
		return p.state, err
	}
	if !p.cancelDone {
		return p.state, fmt.Errorf("process ended with status %s before the cancel ran", p.state.Status)
	}
	return p.state, p.cancelErr
}

func (p *process) cancelByRequester(ctx workflow.Context, req signing.CancelRequest) {
	if p.state.Status.Terminal() {
		return // the handler sees the terminal status and answers
	}
	previous := p.state.Status
	p.setStatus(ctx, signing.StatusCancelling)
	err := p.callProvider(ctx, "cancel on request", acts.Cancel, activities.ProviderCall{Reason: req.Reason})
	p.cancelErr, p.cancelDone = err, true
	if err != nil {
		p.setStatus(ctx, previous)
		return
	}
	p.end(ctx, signing.StatusCancelled, "cancelled by requester: "+req.Reason)
}

// onTemporalCancel serves a cancellation requested of the workflow itself
// as a cancel: the process is withdrawn at the provider and ends
// cancelled, with a result, instead of running on unattended. A withdrawal
// the provider refuses still ends the process (the operator asked for it),
// and the refusal shows in the result. Runs recorded before this existed
// ignored such requests, and replay as they ran.
func (p *process) onTemporalCancel(ctx workflow.Context) {
	if !p.has(ctx, "temporal-cancel") {
		p.honoursAbort = false
		return
	}
	p.setStatus(ctx, signing.StatusCancelling)
	p.stopResendTimer()
	p.stopTokenTimer()
	p.stopReconcileTimer()
	p.withdraw(ctx, "withdraw: cancelled in Temporal", TemporalCancelReason)
	p.end(ctx, signing.StatusCancelled, TemporalCancelReason)
}
