package processes

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/mocks"

	"github.com/firmaflow/firmaflow/signing"
)

func testInput() signing.Input {
	return signing.Input{ProcessID: "p1", Provider: "arqsign", Title: "Lease",
		Documents: []signing.DocumentRef{{Name: "a.pdf", Key: "inbox/p1/a.pdf"}},
		Signers:   []signing.Signer{{Name: "Ana", Email: "ana@example.com"}}}
}

// taken is a client whose start finds the id taken by a run whose memo
// carries digest ("" for none).
func taken(t *testing.T, digest string) *mocks.Client {
	c := &mocks.Client{}
	t.Cleanup(func() { c.AssertExpectations(t) })
	c.On("ExecuteWorkflow", mock.Anything, mock.Anything, signing.WorkflowType, mock.Anything).
		Return(nil, serviceerror.NewWorkflowExecutionAlreadyStarted("Workflow execution already finished successfully.", "", "R1"))
	memo := &commonpb.Memo{Fields: map[string]*commonpb.Payload{}}
	if digest != "" {
		p, err := converter.GetDefaultDataConverter().ToPayload(digest)
		require.NoError(t, err)
		memo.Fields[MemoInputSHA256] = p
	}
	c.On("DescribeWorkflowExecution", mock.Anything, "signing-p1", "").Return(&workflowservice.DescribeWorkflowExecutionResponse{
		WorkflowExecutionInfo: &workflowpb.WorkflowExecutionInfo{Memo: memo, Execution: &commonpb.WorkflowExecution{WorkflowId: "signing-p1", RunId: "R1"}},
	}, nil)
	return c
}

func TestStartOfAnEndedProcessWithTheSameInputReturnsIt(t *testing.T) {
	c := taken(t, testInput().SHA256())
	run := &mocks.WorkflowRun{}
	c.On("GetWorkflow", mock.Anything, "signing-p1", "R1").Return(run)
	got, err := Start(context.Background(), c, "q", testInput())
	require.NoError(t, err)
	require.Same(t, run, got)
}

func TestStartWithAnotherInputIsAConflict(t *testing.T) {
	for name, digest := range map[string]string{"other input": testInput().SHA256() + "x", "no digest": ""} {
		t.Run(name, func(t *testing.T) {
			c := taken(t, digest)
			_, err := Start(context.Background(), c, "q", testInput())
			var conflict *ConflictError
			require.True(t, errors.As(err, &conflict), "a typed conflict: %v", err)
			require.Equal(t, "p1", conflict.ProcessID)
		})
	}
}

func TestStartSetsThePoliciesAndTheDigest(t *testing.T) {
	c := &mocks.Client{}
	run := &mocks.WorkflowRun{}
	c.On("ExecuteWorkflow", mock.Anything, mock.Anything, signing.WorkflowType, mock.Anything).
		Run(func(args mock.Arguments) {
			o := args.Get(1).(client.StartWorkflowOptions)
			require.Equal(t, enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE, o.WorkflowIDReusePolicy)
			require.Equal(t, enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL, o.WorkflowIDConflictPolicy)
			require.Equal(t, testInput().SHA256(), o.Memo[MemoInputSHA256])
		}).Return(run, nil)
	got, err := Start(context.Background(), c, "q", testInput())
	require.NoError(t, err)
	require.Same(t, run, got)
}

func TestOtherStartErrorsAreNotConflicts(t *testing.T) {
	c := &mocks.Client{}
	c.On("ExecuteWorkflow", mock.Anything, mock.Anything, signing.WorkflowType, mock.Anything).
		Return(nil, serviceerror.NewUnavailable("down"))
	_, err := Start(context.Background(), c, "q", testInput())
	var conflict *ConflictError
	require.False(t, errors.As(err, &conflict))
	var unavailable *serviceerror.Unavailable
	require.True(t, errors.As(err, &unavailable))
}
