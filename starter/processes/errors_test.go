package processes

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/mocks"
)

// Temporal answers an update of a closed workflow with NotFound, like an
// update of an unknown one; Cancel tells them apart.
func TestCancelAfterTheEndIsEndedError(t *testing.T) {
	c := &mocks.Client{}
	c.On("UpdateWorkflow", mock.Anything, mock.Anything).Return(nil, serviceerror.NewNotFound("workflow execution already completed"))
	c.On("DescribeWorkflowExecution", mock.Anything, "signing-p1", "").Return(&workflowservice.DescribeWorkflowExecutionResponse{
		WorkflowExecutionInfo: &workflowpb.WorkflowExecutionInfo{Status: enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED},
	}, nil)
	_, err := Cancel(context.Background(), c, "p1", "withdrawn")
	var ended *EndedError
	require.True(t, errors.As(err, &ended), "%v", err)
	require.Equal(t, "Completed", ended.Status)

	unknown := &mocks.Client{}
	unknown.On("UpdateWorkflow", mock.Anything, mock.Anything).Return(nil, serviceerror.NewNotFound("workflow not found"))
	unknown.On("DescribeWorkflowExecution", mock.Anything, "signing-p2", "").Return(nil, serviceerror.NewNotFound("workflow not found"))
	_, err = Cancel(context.Background(), unknown, "p2", "withdrawn")
	var notFound *serviceerror.NotFound
	require.True(t, errors.As(err, &notFound), "%v", err)
	require.False(t, errors.As(err, &ended))
}

func TestStartRefusesAnInputOverItsLimits(t *testing.T) {
	in := testInput()
	in.ProcessID = "a/x"
	_, err := Start(context.Background(), &mocks.Client{}, "q", in)
	var invalid *InvalidInputError
	require.True(t, errors.As(err, &invalid), "%v", err)
	require.ErrorContains(t, err, "process_id")
}
