package routing

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/client"
)

// RegisteredRouteSleep is how long a route that the registration starts
// waits before its first workflow task. Its owner is in its memo from the
// start, so the bridge signals the owner directly and the route has
// nothing to do until it first asks whether its owner still runs: a task
// now would cost every process one more workflow task, and its worker one
// more cached workflow, for nothing. Events held on it come by
// SignalWithStart (Router.Hold), which Temporal runs at once whatever the
// delay; the same goes for a second registration.
const RegisteredRouteSleep = 24 * time.Hour

// RegisterOwner makes ownerID the owner of the provider process's route,
// starting the route if it does not exist yet. Once it returns, every
// event for the provider process reaches the owner: the memo set here (or
// by the route, if it was holding events) tells the bridge, and the route
// forwards what it held. Calling it again is harmless.
func RegisterOwner(ctx context.Context, c client.Client, taskQueue, provider, ref, ownerID string) error {
	opts := routeOptions(taskQueue, provider, ref, map[string]any{MemoOwner: ownerID})
	opts.StartDelay = RegisteredRouteSleep
	// Until its first task the route answers no query; the UI shows this.
	opts.StaticDetails = "Routes " + provider + " events for `" + ref + "` to `" + ownerID + "`. " +
		"Sleeps a day before its first task unless an event must be held here."
	_, err := c.SignalWithStartWorkflow(ctx, RouteWorkflowID(provider, ref), SignalRegisterOwner,
		OwnerRegistration{WorkflowID: ownerID}, opts, RouteWorkflowType,
		RouteInput{Provider: provider, ProviderRef: ref, Owner: ownerID})
	if err != nil {
		return fmt.Errorf("register %s as owner of %s %s: %w", ownerID, provider, ref, err)
	}
	return nil
}

// JoinAccount adds a process to its provider's account workflow, which
// hands it the account-wide events from then on.
func JoinAccount(ctx context.Context, c client.Client, taskQueue, provider, workflowID string) error {
	_, err := c.SignalWithStartWorkflow(ctx, AccountWorkflowID(provider), SignalJoinAccount,
		Member{WorkflowID: workflowID}, accountOptions(taskQueue, provider), AccountWorkflowType,
		AccountInput{Provider: provider})
	if err != nil {
		return fmt.Errorf("join the %s account: %w", provider, err)
	}
	return nil
}
