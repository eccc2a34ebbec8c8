package workflows

import (
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/firmaflow/firmaflow/activities"
	"github.com/firmaflow/firmaflow/routing"
	"github.com/firmaflow/firmaflow/signing"
)

// accountPruneEvery is how often an account drops members that ended, so
// that its list stays the size of the open processes.
const accountPruneEvery = 24 * time.Hour

// ProviderAccount hands a provider's account-wide events (such as "no
// tokens left") to every open process of the account. Processes join
// it when they are sent, before the provider process exists, so an event
// reaches every process it can concern, a process started a moment before
// included. It runs as long as the deployment, continuing as new.
func ProviderAccount(ctx workflow.Context, in routing.AccountInput) error {
	events := workflow.GetSignalChannel(ctx, signing.SignalEvent)
	joins := workflow.GetSignalChannel(ctx, routing.SignalJoinAccount)
	members := slices.Clone(in.Members)
	pending := in.Pending
	if err := workflow.SetQueryHandler(ctx, signing.QueryState, func() (map[string]any, error) {
		return map[string]any{"provider": in.Provider, "members": members}, nil
	}); err != nil {
		return err
	}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		Summary: "account-wide event", StartToCloseTimeout: 10 * time.Minute, HeartbeatTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute},
	})
	join := func() {
		for {
			var m routing.Member
			if !joins.ReceiveAsync(&m) {
				return
			}
			if !slices.Contains(members, m.WorkflowID) {
				members = append(members, m.WorkflowID)
			}
		}
	}
	nextPrune := workflow.Now(ctx).Add(accountPruneEvery)
	broadcast := 0 // events handed out by this run
	for {
		join()
		batch := append(pending, drainEvents(events)...)
		pending = nil
		for _, ev := range batch {
			join() // a process that joined while events waited takes them too
			var res activities.BroadcastResult
			if err := workflow.ExecuteActivity(actx, acts.Broadcast,
				activities.BroadcastInput{Members: slices.Clone(members), Event: ev}).Get(ctx, &res); err != nil {
				return err
			}
			members = slices.DeleteFunc(members, func(id string) bool { return slices.Contains(res.Ended, id) })
		}
		if !workflow.Now(ctx).Before(nextPrune) {
			checked := slices.Clone(members)
			var open []string
			if err := workflow.ExecuteActivity(actx, acts.OpenMembers, checked).Get(ctx, &open); err != nil {
				return err
			}
			// Members that joined during the check were not checked: kept.
			members = slices.DeleteFunc(members, func(id string) bool {
				return slices.Contains(checked, id) && !slices.Contains(open, id)
			})
			nextPrune = workflow.Now(ctx).Add(accountPruneEvery)
		}
		if workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			join()
			return workflow.NewContinueAsNewError(ctx, routing.AccountWorkflowType,
				routing.AccountInput{Provider: in.Provider, Members: members, Pending: drainEvents(events)})
		}
		broadcast += len(batch)
		// Current details, so the run reads well in the UI whatever client
		// started it (a start without a summary included).
		workflow.SetCurrentDetails(ctx, accountDetails(in.Provider, len(members), broadcast))
		tctx, cancel := workflow.WithCancel(ctx)
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(events, func(workflow.ReceiveChannel, bool) {})
		sel.AddReceive(joins, func(workflow.ReceiveChannel, bool) {})
		sel.AddFuture(workflow.NewTimer(tctx, max(nextPrune.Sub(workflow.Now(ctx)), 0)), func(workflow.Future) {})
		sel.Select(ctx)
		cancel()
		if err := ctx.Err(); err != nil {
			return temporal.NewCanceledError("account workflow cancelled")
		}
	}
}

// accountDetails is the markdown the Temporal UI shows as the account's
// current details.
func accountDetails(provider string, members, broadcast int) string {
	return fmt.Sprintf("**%d open process(es)** of %s receive its account-wide events — %d handed out in this run", members, provider, broadcast)
}
