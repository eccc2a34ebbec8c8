package activities

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"

	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/routing"
	"github.com/firmaflow/firmaflow/signing"
)

// inboxWorkflowType is workflows.InboxWorkflowType (workflows imports this
// package, so the name is repeated here): inboxes held early events before
// routes did.
const inboxWorkflowType = "EventInbox"

// unownedStatuses are the SigningStatus values of routes (and inboxes)
// that hold events for a provider process nobody has claimed.
const unownedStatuses = "'inbox_holding', 'inbox_unclaimed', 'route_holding', 'route_unclaimed'"

// announceSlack widens the search for clock differences between the worker
// and Temporal.
const announceSlack = 5 * time.Second

// AnnouncementQuery finds the unowned routes (and inboxes) of provider
// started since a send attempt began: the processes that attempt may have
// opened. A route is indexed as unowned from its start (routing starts it
// with its status), so it is found even before a worker has run it, as
// when the worker that made the attempt died.
func AnnouncementQuery(provider string, since time.Time) string {
	return fmt.Sprintf("WorkflowType IN ('%s', '%s') AND %s = '%s' AND %s IN (%s) AND ExecutionStatus = 'Running' AND StartTime >= '%s'",
		inboxWorkflowType, routing.RouteWorkflowType, signing.AttrProvider, provider, signing.AttrStatus, unownedStatuses,
		since.Add(-announceSlack).UTC().Format(time.RFC3339Nano))
}

// findAnnounced looks for the provider process that an earlier attempt of
// this send opened when its answer was lost, at a provider with neither an
// idempotency key nor a listing (providers.Describer). Such a
// process announces itself: its first webhook ("process sent") reaches the
// bridge, which finds no owner and holds it on the provider process's route
// (tagged with the reference). An unowned route started since the first
// attempt, whose process has the input's title and signers and is live, is
// the one; taking it (Send registers as its owner) lets the route deliver
// to this process. This send-retry heuristic is the one place the worker
// reads visibility; no event is ever routed by it. "" when there is none:
// the attempt never reached the provider, or its announcement is not
// configured at the provider, and the caller sends again.
func (a *Activities) findAnnounced(ctx context.Context, d providers.Describer, in signing.Input, since time.Time) (string, error) {
	if a.Temporal == nil {
		return "", nil
	}
	resp, err := a.Temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: a.Namespace, Query: AnnouncementQuery(in.Provider, since), PageSize: 100})
	if err != nil {
		return "", fmt.Errorf("send: look for an announced process: %w", err)
	}
	want := make([]string, 0, len(in.Signers))
	for _, s := range in.Signers {
		want = append(want, strings.ToLower(s.Email))
	}
	slices.Sort(want)
	for _, ex := range resp.GetExecutions() {
		var ref string
		f := ex.GetSearchAttributes().GetIndexedFields()[signing.AttrProviderRef]
		if f == nil || converter.GetDefaultDataConverter().FromPayload(f, &ref) != nil || ref == "" {
			continue
		}
		desc, err := d.Describe(ctx, ref)
		if err != nil {
			return "", fmt.Errorf("send: describe announced process %s: %w", ref, err)
		}
		got := slices.Clone(desc.SignerEmails)
		slices.Sort(got)
		if desc.Live && desc.Name == in.Title && slices.Equal(got, want) {
			return ref, nil
		}
	}
	return "", nil
}
