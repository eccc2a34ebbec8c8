package callcount

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
)

func TestCounterCountsEachCallByMethod(t *testing.T) {
	c := New()
	failing := errors.New("unavailable")
	invoke := func(err error) grpc.UnaryInvoker {
		return func(context.Context, string, any, any, *grpc.ClientConn, ...grpc.CallOption) error { return err }
	}
	ctx := context.Background()
	require.NoError(t, c.intercept(ctx, "/temporal.api.workflowservice.v1.WorkflowService/SignalWorkflowExecution", nil, nil, nil, invoke(nil)))
	before := c.Snapshot()
	require.NoError(t, c.intercept(ctx, "/temporal.api.workflowservice.v1.WorkflowService/ListWorkflowExecutions", nil, nil, nil, invoke(nil)))
	require.ErrorIs(t, c.intercept(ctx, "/temporal.api.workflowservice.v1.WorkflowService/SignalWorkflowExecution", nil, nil, nil, invoke(failing)), failing,
		"the call's own error comes back")
	since := c.Snapshot().Since(before)
	require.Equal(t, Calls{"ListWorkflowExecutions": 1, "SignalWorkflowExecution": 1}, since, "a failed call is a call too")
	require.Equal(t, "2.00", since.PerItem(1))
	require.Equal(t, "ListWorkflowExecutions=1 SignalWorkflowExecution=1", since.String())
	require.Equal(t, int64(3), c.Snapshot().Total())

	var none *Counter
	require.Nil(t, none.Snapshot())
	require.Equal(t, "n/a", none.Snapshot().Since(nil).PerItem(10))
}

func TestCounterTimesEachCallByMethod(t *testing.T) {
	c := New()
	sleeping := func(d time.Duration) grpc.UnaryInvoker {
		return func(context.Context, string, any, any, *grpc.ClientConn, ...grpc.CallOption) error {
			time.Sleep(d)
			return nil
		}
	}
	ctx := context.Background()
	const signal = "/temporal.api.workflowservice.v1.WorkflowService/SignalWorkflowExecution"
	require.NoError(t, c.intercept(ctx, signal, nil, nil, nil, sleeping(time.Millisecond)))
	before := c.Spent()
	require.NoError(t, c.intercept(ctx, signal, nil, nil, nil, sleeping(20*time.Millisecond)))
	require.NoError(t, c.intercept(ctx, "/temporal.api.workflowservice.v1.WorkflowService/QueryWorkflow", nil, nil, nil, sleeping(time.Microsecond)))
	since := c.Spent().Since(before)
	require.GreaterOrEqual(t, since["SignalWorkflowExecution"], 20*time.Millisecond, "the call's whole time")
	require.Equal(t, c.Spent()["SignalWorkflowExecution"]-before["SignalWorkflowExecution"], since["SignalWorkflowExecution"], "only the calls since the snapshot")
	require.GreaterOrEqual(t, before["SignalWorkflowExecution"], time.Millisecond)
	require.Contains(t, since, "QueryWorkflow")
	require.Equal(t, since["SignalWorkflowExecution"]+since["QueryWorkflow"], since.Total())

	var none *Counter
	require.Nil(t, none.Spent(), "not measured")
	require.Nil(t, none.Spent().Since(before))
}
