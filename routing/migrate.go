package routing

import (
	"context"
	"fmt"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/firmaflow/firmaflow/signing"
)

// Migrated counts what MigrateOpenProcesses registered.
type Migrated struct {
	Routes, AccountMembers int
}

// MigrateOpenProcesses registers every running signing process that was
// sent before routes existed (found by its search attributes) as the owner
// of its provider process's route, and as a member of its provider's
// account where accountEvents says the provider has account-wide events.
// Until then their events wait, held durably on routes. It is an operator's
// one-off after upgrading (worker -migrate-routes), the only place routing
// reads visibility; running it twice is harmless.
func MigrateOpenProcesses(ctx context.Context, c client.Client, namespace, taskQueue string, accountEvents func(provider string) bool) (Migrated, error) {
	var out Migrated
	query := fmt.Sprintf("WorkflowType = '%s' AND ExecutionStatus = 'Running' AND %s IS NOT NULL",
		signing.WorkflowType, signing.AttrProviderRef)
	var token []byte
	for {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: namespace, Query: query, PageSize: 500, NextPageToken: token,
		})
		if err != nil {
			return out, fmt.Errorf("list running signing processes: %w", err)
		}
		for _, ex := range resp.GetExecutions() {
			fields := ex.GetSearchAttributes().GetIndexedFields()
			var provider, ref string
			if f := fields[signing.AttrProvider]; f == nil || converter.GetDefaultDataConverter().FromPayload(f, &provider) != nil {
				continue
			}
			if f := fields[signing.AttrProviderRef]; f == nil || converter.GetDefaultDataConverter().FromPayload(f, &ref) != nil || ref == "" {
				continue
			}
			id := ex.GetExecution().GetWorkflowId()
			if err := RegisterOwner(ctx, c, taskQueue, provider, ref, id); err != nil {
				return out, err
			}
			out.Routes++
			if accountEvents != nil && accountEvents(provider) {
				if err := JoinAccount(ctx, c, taskQueue, provider, id); err != nil {
					return out, err
				}
				out.AccountMembers++
			}
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			return out, nil
		}
	}
}
