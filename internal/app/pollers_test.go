package app

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/grpc"

	"github.com/firmaflow/firmaflow/config"
)

// pollFrontend plays Temporal's task polling: the first sticky poll gets a
// workflow task whose backlog hint says more are queued behind it, later
// sticky polls wait for a task that never comes (as after a busy spell),
// and normal polls come back empty at once and are counted.
type pollFrontend struct {
	workflowservice.UnimplementedWorkflowServiceServer
	stickyServed atomic.Bool
	normalAfter  atomic.Int64 // normal polls begun after the sticky task was served
}

func (*pollFrontend) GetSystemInfo(context.Context, *workflowservice.GetSystemInfoRequest) (*workflowservice.GetSystemInfoResponse, error) {
	return &workflowservice.GetSystemInfoResponse{}, nil
}

func (*pollFrontend) DescribeNamespace(context.Context, *workflowservice.DescribeNamespaceRequest) (*workflowservice.DescribeNamespaceResponse, error) {
	return &workflowservice.DescribeNamespaceResponse{}, nil
}

func (f *pollFrontend) PollWorkflowTaskQueue(ctx context.Context, req *workflowservice.PollWorkflowTaskQueueRequest) (*workflowservice.PollWorkflowTaskQueueResponse, error) {
	if req.GetTaskQueue().GetKind() != enumspb.TASK_QUEUE_KIND_STICKY {
		if f.stickyServed.Load() {
			f.normalAfter.Add(1)
		}
		time.Sleep(20 * time.Millisecond)
		return &workflowservice.PollWorkflowTaskQueueResponse{}, nil
	}
	if f.stickyServed.CompareAndSwap(false, true) {
		return hintedTask(req.GetTaskQueue().GetName()), nil
	}
	<-ctx.Done()
	return nil, ctx.Err()
}

func (*pollFrontend) PollActivityTaskQueue(ctx context.Context, _ *workflowservice.PollActivityTaskQueueRequest) (*workflowservice.PollActivityTaskQueueResponse, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func (*pollFrontend) RespondWorkflowTaskCompleted(context.Context, *workflowservice.RespondWorkflowTaskCompletedRequest) (*workflowservice.RespondWorkflowTaskCompletedResponse, error) {
	return &workflowservice.RespondWorkflowTaskCompletedResponse{}, nil
}

func (*pollFrontend) RespondWorkflowTaskFailed(context.Context, *workflowservice.RespondWorkflowTaskFailedRequest) (*workflowservice.RespondWorkflowTaskFailedResponse, error) {
	return &workflowservice.RespondWorkflowTaskFailedResponse{}, nil
}

// hintedTask is the first workflow task of a run of "wait", with a
// backlog hint of 5 more tasks on the sticky queue.
func hintedTask(stickyQueue string) *workflowservice.PollWorkflowTaskQueueResponse {
	typ := &commonpb.WorkflowType{Name: "wait"}
	return &workflowservice.PollWorkflowTaskQueueResponse{
		TaskToken:         []byte("token"),
		WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: "w", RunId: "r"},
		WorkflowType:      typ,
		StartedEventId:    3,
		Attempt:           1,
		BacklogCountHint:  5,
		History: &historypb.History{Events: []*historypb.HistoryEvent{
			{EventId: 1, EventType: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
				Attributes: &historypb.HistoryEvent_WorkflowExecutionStartedEventAttributes{WorkflowExecutionStartedEventAttributes: &historypb.WorkflowExecutionStartedEventAttributes{
					WorkflowType: typ, TaskQueue: &taskqueuepb.TaskQueue{Name: "q"}, OriginalExecutionRunId: "r", FirstExecutionRunId: "r",
				}}},
			{EventId: 2, EventType: enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
				Attributes: &historypb.HistoryEvent_WorkflowTaskScheduledEventAttributes{WorkflowTaskScheduledEventAttributes: &historypb.WorkflowTaskScheduledEventAttributes{
					TaskQueue: &taskqueuepb.TaskQueue{Name: stickyQueue, Kind: enumspb.TASK_QUEUE_KIND_STICKY}, Attempt: 1,
				}}},
			{EventId: 3, EventType: enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED,
				Attributes: &historypb.HistoryEvent_WorkflowTaskStartedEventAttributes{WorkflowTaskStartedEventAttributes: &historypb.WorkflowTaskStartedEventAttributes{
					ScheduledEventId: 2,
				}}},
		}},
	}
}

// TestWorkerKeepsPollingTheNormalQueue: after a sticky task whose backlog
// hint says more are coming, the worker still polls the normal queue, where
// queries to ended processes and new processes arrive. With the SDK's
// default pollers it polled only the sticky queue until a sticky poll came
// back empty, a minute later, and the fault test's queries failed with "no
// poller seen for task queue recently".
func TestWorkerKeepsPollingTheNormalQueue(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := grpc.NewServer()
	fe := &pollFrontend{}
	workflowservice.RegisterWorkflowServiceServer(srv, fe)
	var serving sync.WaitGroup
	serving.Add(1)
	go func() { defer serving.Done(); srv.Serve(lis) }()
	defer func() { srv.Stop(); serving.Wait() }()

	c, err := client.Dial(client.Options{HostPort: lis.Addr().String(), Logger: quietLogger{}})
	require.NoError(t, err)
	defer c.Close()
	w := worker.New(c, "q", WorkerOptions(config.Worker{}))
	w.RegisterWorkflowWithOptions(func(ctx workflow.Context) error {
		return workflow.Await(ctx, func() bool { return false })
	}, workflow.RegisterOptions{Name: "wait"})
	require.NoError(t, w.Start())
	defer w.Stop()

	require.Eventually(t, fe.stickyServed.Load, 10*time.Second, 10*time.Millisecond, "the worker never polled its sticky queue")
	// Normal polls come back in 20 ms: a worker that keeps one open makes
	// dozens of them while the hint stands; the default pollers made at
	// most the one already under way.
	require.Eventually(t, func() bool { return fe.normalAfter.Load() >= 5 }, 10*time.Second, 10*time.Millisecond,
		"after a sticky task hinting at a backlog, the worker stopped polling the normal queue")
}

type quietLogger struct{}

func (quietLogger) Debug(string, ...any) {}
func (quietLogger) Info(string, ...any)  {}
func (quietLogger) Warn(string, ...any)  {}
func (quietLogger) Error(string, ...any) {}
