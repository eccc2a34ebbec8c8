package routing

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/client"
)

// RegisterOwner makes ownerID the owner of the provider process's route,
// starting the route if it does not exist yet. Once it returns, every
// event for the provider process reaches the owner: the memo set here (or
// by the route, if it was holding events) tells the bridge, and the route
// forwards what it held. Calling it again is harmless.
func RegisterOwner(ctx context.Context, c client.Client, taskQueue, provider, ref, ownerID string) error {
	_, err := c.SignalWithStartWorkflow(ctx, RouteWorkflowID(provider, ref), SignalRegisterOwner,
		OwnerRegistration{WorkflowID: ownerID},
		routeOptions(taskQueue, provider, ref, map[string]any{MemoOwner: ownerID}), RouteWorkflowType,
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
