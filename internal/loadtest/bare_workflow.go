package loadtest

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/firmaflow/firmaflow/activities"
	"github.com/firmaflow/firmaflow/signing"
)

// BareWorkflowType is the lifecycle scenario's baseline: a signing process
// written as plainly as Temporal allows. It runs firmaflow's own Send and
// FetchDocuments activities, takes the same provider events as signals and
// keeps the same waiting timer, but has no search attributes, queries,
// deduplication, resends or reconciliation.
const BareWorkflowType = "LoadtestBareProcess"

// bareTaskQueue keeps the baseline's tasks apart from firmaflow's.
const bareTaskQueue = "firmaflow-loadtest-bare"

// BareResult is what a bare process returns.
type BareResult struct {
	ProviderRef string                   `json:"provider_ref"`
	Signed      int                      `json:"signed"`
	Documents   []signing.StoredDocument `json:"documents"`
}

// bareActs names the activities for the workflow (Temporal samples style).
var bareActs *bareActivities

// BareProcess sends, waits for the provider's events until completion, and
// fetches the signed documents.
func BareProcess(ctx workflow.Context, in signing.Input) (BareResult, error) {
	in = in.WithDefaults()
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Minute,
		HeartbeatTimeout:    30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute},
	})
	var sent activities.SendOutput
	if err := workflow.ExecuteActivity(ctx, bareActs.Send, in).Get(ctx, &sent); err != nil {
		return BareResult{}, fmt.Errorf("send: %w", err)
	}
	res := BareResult{ProviderRef: sent.ProviderRef}
	// firmaflow keeps a reconciliation timer while it waits, so this does
	// too; in a run this short it never fires.
	timerCtx, stopTimer := workflow.WithCancel(ctx)
	_ = workflow.NewTimer(timerCtx, time.Duration(in.ReconcileEvery))
	events := workflow.GetSignalChannel(ctx, signing.SignalEvent)
	for {
		var ev signing.Event
		events.Receive(ctx, &ev)
		if ev.ProviderRef != sent.ProviderRef {
			continue
		}
		switch ev.Type {
		case signing.EventSignerSigned:
			res.Signed++
		case signing.EventCompleted:
			stopTimer()
			err := workflow.ExecuteActivity(ctx, bareActs.FetchDocuments, activities.FetchInput{
				ProcessID: in.ProcessID, Provider: in.Provider, ProviderRef: sent.ProviderRef, Documents: ev.Documents,
			}).Get(ctx, &res.Documents)
			if err != nil {
				return res, fmt.Errorf("fetch documents: %w", err)
			}
			return res, nil
		case signing.EventRejected, signing.EventCancelled, signing.EventExpired, signing.EventDeliveryFailed:
			stopTimer()
			return res, temporal.NewNonRetryableApplicationError("the bare process does not handle "+string(ev.Type), "Unhandled", nil)
		}
	}
}

// bareActivities are firmaflow's activities, plus the one thing a
// hand-written service needs to route webhooks: when the send returns, the
// provider's process id is mapped to the workflow.
type bareActivities struct {
	acts   *activities.Activities
	routes *routeTable
}

// Send is firmaflow's Send; it then records the route to this workflow.
func (b *bareActivities) Send(ctx context.Context, in signing.Input) (activities.SendOutput, error) {
	out, err := b.acts.Send(ctx, in)
	if err != nil {
		return out, err
	}
	b.routes.add(in.Provider, out.ProviderRef, activity.GetInfo(ctx).WorkflowExecution.ID)
	return out, nil
}

// FetchDocuments is firmaflow's FetchDocuments.
func (b *bareActivities) FetchDocuments(ctx context.Context, in activities.FetchInput) ([]signing.StoredDocument, error) {
	return b.acts.FetchDocuments(ctx, in)
}
