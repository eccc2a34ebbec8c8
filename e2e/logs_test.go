package e2e

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/firmaflow/firmaflow/providers/autosign"
	"github.com/firmaflow/firmaflow/signing"
	"github.com/firmaflow/firmaflow/simulators/autosignsim"
)

// A workflow's log line carries its trace and span ids once. The tracing
// interceptor was installed twice (on the client, which the SDK applies to
// every worker built from it, and again on the worker), and every line
// said "TraceID=… SpanID=… TraceID=… SpanID=…".
func TestWorkflowLogLinesCarryTraceIDsOnce(t *testing.T) {
	// An expiry Autosign cannot renew: the workflow logs the refused call.
	in, wait := startOn(t, autosign.Name, autosignsim.ScenarioExpire, fastPolicy)
	res := wait()
	require.Equal(t, signing.StatusExpired, res.Status)
	var lines []string
	for _, line := range strings.Split(stackLogs.String(), "\n") {
		if strings.Contains(line, "WorkflowID="+signing.WorkflowID(in.ProcessID)+" ") && strings.Contains(line, "provider call failed") {
			lines = append(lines, line)
		}
	}
	require.NotEmpty(t, lines, "the workflow logged the refused renewal")
	for _, line := range lines {
		require.Equal(t, 1, strings.Count(line, "TraceID="), line)
		require.Equal(t, 1, strings.Count(line, "SpanID="), line)
	}
}
