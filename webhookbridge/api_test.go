package webhookbridge

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/mocks"

	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/signing"
	"github.com/firmaflow/firmaflow/starter/processes"
)

const apiInput = `{"process_id":"p1","provider":"arqsign","title":"Lease","documents":[{"name":"a.pdf","key":"inbox/p1/a.pdf"}],"signers":[{"name":"Ana","email":"ana@example.com"}]}`

// existingAPI answers starts as if signing-p1 existed (ended) with the
// given input digest in its memo.
func existingAPI(t *testing.T, digest string) http.Handler {
	c := &mocks.Client{}
	c.On("ExecuteWorkflow", mock.Anything, mock.Anything, signing.WorkflowType, mock.Anything).
		Return(nil, serviceerror.NewWorkflowExecutionAlreadyStarted("Workflow execution already finished successfully.", "", "R1"))
	payload, err := converter.GetDefaultDataConverter().ToPayload(digest)
	require.NoError(t, err)
	c.On("DescribeWorkflowExecution", mock.Anything, "signing-p1", "").Return(&workflowservice.DescribeWorkflowExecutionResponse{
		WorkflowExecutionInfo: &workflowpb.WorkflowExecutionInfo{
			Memo:      &commonpb.Memo{Fields: map[string]*commonpb.Payload{processes.MemoInputSHA256: payload}},
			Execution: &commonpb.WorkflowExecution{WorkflowId: "signing-p1", RunId: "R1"},
		},
	}, nil)
	run := &mocks.WorkflowRun{}
	run.On("GetID").Return("signing-p1")
	run.On("GetRunID").Return("R1")
	c.On("GetWorkflow", mock.Anything, "signing-p1", "R1").Return(run).Maybe()
	reg := providers.NewRegistry()
	reg.Register(namedProvider{name: "arqsign"}, namedProvider{name: "arqsign"})
	return New(Options{Providers: reg, Deliverer: &recordingDeliverer{},
		API: &API{Client: c, TaskQueue: "q", Namespace: "default", UIURL: "http://ui", Token: "tok"}}).Handler()
}

func postProcess(h http.Handler, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/api/v1/processes", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer tok")
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestAPIStartRetriedWithTheSameInputGetsTheProcess(t *testing.T) {
	var in signing.Input
	require.NoError(t, json.Unmarshal([]byte(apiInput), &in))
	rec := postProcess(existingAPI(t, in.SHA256()), apiInput)
	require.Equal(t, http.StatusAccepted, rec.Code, rec.Body.String())
	var out map[string]string
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &out))
	require.Equal(t, "R1", out["run_id"])
}

func TestAPIStartWithAnotherInputUnderTheIdIs409(t *testing.T) {
	var in signing.Input
	require.NoError(t, json.Unmarshal([]byte(apiInput), &in))
	other := strings.Replace(apiInput, `"Lease"`, `"Another lease"`, 1)
	rec := postProcess(existingAPI(t, in.SHA256()), other)
	require.Equal(t, http.StatusConflict, rec.Code, rec.Body.String())
	require.Contains(t, rec.Body.String(), "different input")
}
