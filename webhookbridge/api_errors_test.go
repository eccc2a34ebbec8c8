package webhookbridge

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/temporal"
)

func (f *apiFixture) cancel(id, body string) (int, string) {
	rec := f.do(http.MethodPost, "/api/v1/processes/"+id+"/cancel", "application/json", strings.NewReader(body))
	return rec.Code, rec.Body.String()
}

// Cancelling a process that has ended is a 409, as the README says, not a
// 404: Temporal answers NotFound for the update of a closed workflow.
func TestAPICancelAfterTheEndIs409(t *testing.T) {
	f := newAPIFixture(t)
	f.client.On("UpdateWorkflow", mock.Anything, mock.Anything).Return(nil, serviceerror.NewNotFound("workflow execution already completed"))
	f.client.On("DescribeWorkflowExecution", mock.Anything, "signing-p1", "").Return(&workflowservice.DescribeWorkflowExecutionResponse{
		WorkflowExecutionInfo: &workflowpb.WorkflowExecutionInfo{Status: enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED},
	}, nil)
	f.client.On("DescribeWorkflowExecution", mock.Anything, "signing-nope", "").Return(nil, serviceerror.NewNotFound("workflow not found"))
	code, body := f.cancel("p1", `{"reason":"withdrawn"}`)
	require.Equal(t, http.StatusConflict, code, body)
	require.Contains(t, body, "already ended")
	code, body = f.cancel("nope", `{"reason":"withdrawn"}`)
	require.Equal(t, http.StatusNotFound, code, body)
}

// Answers carry the API's own words: what Temporal said (addresses,
// transport errors, its validation texts) stays in the bridge's log. A
// permanent refusal is a 4xx, a passing outage a 503.
func TestAPIErrorsCarryNoTemporalInternals(t *testing.T) {
	leak := "dial tcp 10.9.8.7:7233: connect: connection refused"
	t.Run("cancel while Temporal is down", func(t *testing.T) {
		f := newAPIFixture(t)
		f.client.On("UpdateWorkflow", mock.Anything, mock.Anything).Return(nil, serviceerror.NewUnavailable(leak))
		code, body := f.cancel("p1", `{"reason":"withdrawn"}`)
		require.Equal(t, http.StatusServiceUnavailable, code, body)
		require.NotContains(t, body, "10.9.8.7")
		require.NotContains(t, body, "dial tcp")
	})
	t.Run("cancel refused by the process", func(t *testing.T) {
		f := newAPIFixture(t)
		f.client.On("UpdateWorkflow", mock.Anything, mock.Anything).
			Return(nil, temporal.NewApplicationError("a cancel is already in progress", ""))
		code, body := f.cancel("p1", `{"reason":"withdrawn"}`)
		require.Equal(t, http.StatusConflict, code, body)
		require.JSONEq(t, `{"error":"a cancel is already in progress"}`, body)
	})
	t.Run("cancel without a reason", func(t *testing.T) {
		f := newAPIFixture(t)
		code, body := f.cancel("p1", `{"reason":"  "}`)
		require.Equal(t, http.StatusBadRequest, code, body)
		require.Contains(t, body, "reason")
		code, body = f.cancel("p1", `{"reason":"x","force":true}`)
		require.Equal(t, http.StatusBadRequest, code, body)
		require.Contains(t, body, `unknown field \"force\"`)
	})
	t.Run("start refused by Temporal as invalid", func(t *testing.T) {
		f := newAPIFixture(t)
		f.client.ExpectedCalls = nil
		f.client.On("ExecuteWorkflow", mock.Anything, mock.Anything, mock.Anything, mock.Anything).
			Return(nil, serviceerror.NewInvalidArgument("WorkflowId length exceeds limit, internal detail"))
		rec := f.start(validInput())
		require.Equal(t, http.StatusBadRequest, rec.Code, "a permanent refusal is no 503: %s", rec.Body)
		require.NotContains(t, rec.Body.String(), "internal detail")
	})
	t.Run("state while Temporal is down", func(t *testing.T) {
		f := newAPIFixture(t)
		f.client.On("QueryWorkflow", mock.Anything, "signing-p1", "", mock.Anything).Return(nil, serviceerror.NewUnavailable(leak))
		rec := f.do(http.MethodGet, "/api/v1/processes/p1", "", nil)
		require.Equal(t, http.StatusServiceUnavailable, rec.Code)
		require.NotContains(t, rec.Body.String(), "10.9.8.7")
	})
}
