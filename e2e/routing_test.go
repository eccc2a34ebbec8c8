package e2e

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/firmaflow/firmaflow/activities"
	"github.com/firmaflow/firmaflow/providers/arqsign"
	"github.com/firmaflow/firmaflow/providers/autosign"
	"github.com/firmaflow/firmaflow/providers/cellosign"
	"github.com/firmaflow/firmaflow/providers/contractualis"
	"github.com/firmaflow/firmaflow/routing"
	"github.com/firmaflow/firmaflow/signing"
	"github.com/firmaflow/firmaflow/simulators/arqsignsim"
	"github.com/firmaflow/firmaflow/simulators/autosignsim"
	"github.com/firmaflow/firmaflow/simulators/cellosignsim"
	"github.com/firmaflow/firmaflow/simulators/contractualissim"
	"github.com/firmaflow/firmaflow/starter/processes"
)

// visibilityCalls are the Temporal calls that read visibility.
var visibilityCalls = []string{"ListWorkflowExecutions", "ScanWorkflowExecutions", "CountWorkflowExecutions",
	"ListOpenWorkflowExecutions", "ListClosedWorkflowExecutions"}

// Whole processes on three providers — by route (ArqSIGN), directly
// (CelloSign) and with an account-wide event (Contractualis notokens) —
// complete while the bridge makes no visibility query at all.
func TestEventPathMakesNoVisibilityQuery(t *testing.T) {
	before := stack.BridgeCalls.Snapshot()
	for _, p := range []struct{ provider, scenario string }{
		{arqsign.Name, arqsignsim.ScenarioSign},
		{cellosign.Name, cellosignsim.ScenarioSign},
		{contractualis.Name, contractualissim.ScenarioNoTokens},
	} {
		in, wait := startOn(t, p.provider, p.scenario, fastPolicy)
		res := wait()
		require.Equal(t, signing.StatusCompleted, res.Status, p.provider)
		requireTruth(t, in, res)
	}
	after := stack.BridgeCalls.Snapshot()
	require.Greater(t, after["SignalWorkflowExecution"], before["SignalWorkflowExecution"], "the bridge delivered events")
	for _, m := range visibilityCalls {
		require.Equal(t, before[m], after[m], "the bridge called %s", m)
	}
}

// A registered owner costs one Temporal call per webhook once the bridge
// knows it: the signal to the owner.
func TestRoutedWebhookCostsOneCall(t *testing.T) {
	ctx := context.Background()
	ref := "one-call-" + processes.NewProcessID()
	_, run := startArchiveOnly(t, arqsign.Name, ref)
	defer stack.Client.TerminateWorkflow(ctx, run.GetID(), "", "test done")
	require.NoError(t, routing.RegisterOwner(ctx, stack.Client, stack.Config.Temporal.TaskQueue, arqsign.Name, ref, run.GetID()))
	defer stack.Client.TerminateWorkflow(ctx, routing.RouteWorkflowID(arqsign.Name, ref), "", "test done")
	body := signedWebhook(ref)
	require.Equal(t, http.StatusOK, postArqSIGN(t, body, arqsign.Sign(body, arqsign.DevWebhookSecret)).StatusCode)
	before := stack.BridgeCalls.Snapshot()
	const n = 5
	for range n {
		require.Equal(t, http.StatusOK, postArqSIGN(t, body, arqsign.Sign(body, arqsign.DevWebhookSecret)).StatusCode)
	}
	after := stack.BridgeCalls.Snapshot()
	require.Equal(t, before["SignalWorkflowExecution"]+n, after["SignalWorkflowExecution"])
	require.Equal(t, before["DescribeWorkflowExecution"], after["DescribeWorkflowExecution"], "the owner is cached")
	require.Equal(t, before["SignalWithStartWorkflowExecution"], after["SignalWithStartWorkflowExecution"])
}

// A process sent before routes existed has no route: its events wait on
// a new route until the migration registers it, then reach it.
func TestProcessFromBeforeRoutesIsMigrated(t *testing.T) {
	ctx := context.Background()
	ref := "old-" + processes.NewProcessID()
	// An archive-only process has a provider reference and no route: what
	// a process sent by the old worker looks like.
	in, run := startArchiveOnly(t, arqsign.Name, ref)
	defer stack.Client.TerminateWorkflow(ctx, run.GetID(), "", "test done")
	defer stack.Client.TerminateWorkflow(ctx, routing.RouteWorkflowID(arqsign.Name, ref), "", "test done")
	body := signedWebhook(ref)
	require.Equal(t, http.StatusOK, postArqSIGN(t, body, arqsign.Sign(body, arqsign.DevWebhookSecret)).StatusCode,
		"held on a route")
	st, err := processes.State(ctx, stack.Client, in.ProcessID)
	require.NoError(t, err)
	require.Empty(t, st.Events, "not yet delivered")
	// Visibility is eventually consistent: the operator's migration is
	// run again until it has seen the process.
	require.Eventually(t, func() bool {
		_, err := routing.MigrateOpenProcesses(ctx, stack.Client, stack.Config.Temporal.Namespace, stack.Config.Temporal.TaskQueue, nil)
		require.NoError(t, err)
		st, err := processes.State(ctx, stack.Client, in.ProcessID)
		return err == nil && len(st.Events) == 1 && st.Events[0].Type == signing.EventSignerSigned
	}, time.Minute, 500*time.Millisecond, "the held event reaches the migrated process")
}

// startArchiveOnly starts the archive-only process of a provider process,
// in the bridge's form: it has a provider reference and sends nothing.
func startArchiveOnly(t *testing.T, provider, ref string) (signing.Input, client.WorkflowRun) {
	t.Helper()
	in := routing.ArchiveInput(provider, ref)
	run, err := stack.Client.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{
		ID: signing.WorkflowID(in.ProcessID), TaskQueue: stack.Config.Temporal.TaskQueue,
	}, signing.WorkflowType, in)
	require.NoError(t, err)
	return in.Input, run
}

// Autosign's per-transaction notification endpoint carries the process id:
// its webhooks are signalled to the process directly, with no lookup.
func TestAutosignWebhooksAreAddressedDirectly(t *testing.T) {
	before := stack.BridgeCalls.Snapshot()
	in, wait := startOn(t, autosign.Name, autosignsim.ScenarioSign, fastPolicy)
	res := wait()
	require.Equal(t, signing.StatusCompleted, res.Status)
	requireTruth(t, in, res)
	after := stack.BridgeCalls.Snapshot()
	require.Greater(t, after["SignalWorkflowExecution"], before["SignalWorkflowExecution"])
	require.Equal(t, before["DescribeWorkflowExecution"], after["DescribeWorkflowExecution"], "no owner lookup")
	require.Equal(t, before["SignalWithStartWorkflowExecution"], after["SignalWithStartWorkflowExecution"], "nothing held")
}

// A route started by the send's registration has its owner and status
// from its start and sleeps: it writes nothing to visibility and runs no
// workflow task while its owner runs (each would cost every process), yet
// an event held on it (the bridge's SignalWithStart) wakes it at once and
// reaches the owner.
func TestOwnedRouteSleepsUntilAnEventIsHeld(t *testing.T) {
	ctx := context.Background()
	ref := "indexed-" + processes.NewProcessID()
	in, run := startArchiveOnly(t, arqsign.Name, ref)
	defer stack.Client.TerminateWorkflow(ctx, run.GetID(), "", "test done")
	require.NoError(t, routing.RegisterOwner(ctx, stack.Client, stack.Config.Temporal.TaskQueue, arqsign.Name, ref, run.GetID()))
	routeID := routing.RouteWorkflowID(arqsign.Name, ref)
	defer stack.Client.TerminateWorkflow(ctx, routeID, "", "test done")

	desc, err := stack.Client.DescribeWorkflowExecution(ctx, routeID, "")
	require.NoError(t, err)
	info := desc.GetWorkflowExecutionInfo()
	var status, owner string
	require.NoError(t, converter.GetDefaultDataConverter().FromPayload(info.GetSearchAttributes().GetIndexedFields()[signing.AttrStatus], &status))
	require.Equal(t, routing.RouteRouted, status, "indexed from the start")
	require.NoError(t, converter.GetDefaultDataConverter().FromPayload(info.GetMemo().GetFields()[routing.MemoOwner], &owner))
	require.Equal(t, run.GetID(), owner, "the owner is in the memo from the start")
	require.WithinDuration(t, time.Now().Add(routing.RegisteredRouteSleep), info.GetExecutionTime().AsTime(), time.Hour,
		"the first task waits for the route's sleep")
	// Long enough for a worker to have taken a task it had been given.
	time.Sleep(2 * time.Second)
	types := routeEventTypes(t, routeID)
	require.Equal(t, []enumspb.EventType{enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED}, types,
		"an owned route runs no task while it sleeps")

	// An event that found no owner in time is held on the route: it wakes
	// and hands the event over.
	r := routing.NewRouter(stack.Client, stack.Config.Temporal.TaskQueue, 0)
	require.NoError(t, r.Hold(ctx, signing.Event{Key: "held-" + ref, Provider: arqsign.Name, ProviderRef: ref,
		Type: signing.EventSignerSigned, Signer: &signing.SignerRef{Name: "Ana Souza", Email: "ana@example.com"}, OccurredAt: time.Now()}))
	require.Eventually(t, func() bool {
		st, err := processes.State(ctx, stack.Client, in.ProcessID)
		return err == nil && len(st.Events) == 1 && st.Events[0].Key == "held-"+ref
	}, 30*time.Second, 50*time.Millisecond, "the held event reaches the owner of a sleeping route")
	for _, e := range routeEventTypes(t, routeID) {
		require.NotEqual(t, enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, e, "the route upserts nothing")
		require.NotEqual(t, enumspb.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED, e, "the route leaves its memo as it was")
	}
}

func routeEventTypes(t *testing.T, routeID string) []enumspb.EventType {
	t.Helper()
	var types []enumspb.EventType
	it := stack.Client.GetWorkflowHistory(context.Background(), routeID, "", false, 0)
	for it.HasNext() {
		e, err := it.Next()
		require.NoError(t, err)
		types = append(types, e.GetEventType())
	}
	return types
}

// TestHeldRouteIsIndexedBeforeItRuns: a route an event starts is indexed
// as holding from its start, before any worker has run it. A send retried
// after its worker died looks for the process its first attempt opened
// among such routes (activities.AnnouncementQuery); while the routes'
// first tasks waited for a worker, they were not indexed yet, and the
// retry sent a second process (the fault test, arqsign early, under load).
func TestHeldRouteIsIndexedBeforeItRuns(t *testing.T) {
	ctx := context.Background()
	id := processes.NewProcessID()
	since := time.Now()
	// No worker polls this queue: the route never runs a task.
	r := routing.NewRouter(stack.Client, "nobody-polls-"+id, 0)
	ref := "announced-" + id
	require.NoError(t, r.Hold(ctx, signing.Event{Key: "sent-" + id, Provider: arqsign.Name, ProviderRef: ref, Type: signing.EventStarted}))
	defer stack.Client.TerminateWorkflow(ctx, routing.RouteWorkflowID(arqsign.Name, ref), "", "test done")
	query := activities.AnnouncementQuery(arqsign.Name, since) + fmt.Sprintf(" AND %s = '%s'", signing.AttrProviderRef, ref)
	require.Eventually(t, func() bool {
		resp, err := stack.Client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query})
		return err == nil && len(resp.GetExecutions()) == 1
	}, 20*time.Second, 200*time.Millisecond, "the unrun route is found as an announcement")
}
