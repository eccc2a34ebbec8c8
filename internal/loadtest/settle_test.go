package loadtest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/firmaflow/firmaflow/signing"
)

// queryClient answers state queries from a script: each workflow's
// queries fail with the script's errors in turn, then succeed.
type queryClient struct {
	client.Client
	mu      sync.Mutex
	script  map[string][]error
	queries map[string]int
}

func (c *queryClient) QueryWorkflow(_ context.Context, workflowID, _ string, _ string, _ ...interface{}) (converter.EncodedValue, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.queries[workflowID]++
	if errs := c.script[workflowID]; len(errs) > 0 {
		c.script[workflowID] = errs[1:]
		return nil, errs[0]
	}
	v, err := converter.GetDefaultDataConverter().ToPayloads(signing.State{Status: signing.StatusAwaitingSignatures})
	if err != nil {
		return nil, err
	}
	return encodedValue{v}, nil
}

type encodedValue struct{ payloads *commonpb.Payloads }

func (v encodedValue) HasValue() bool { return true }
func (v encodedValue) Get(ptr interface{}) error {
	return converter.GetDefaultDataConverter().FromPayloads(v.payloads, ptr)
}

func TestSettleAsksAgainWhenAQueryTimedOutAndStopsOnOtherErrors(t *testing.T) {
	slow := signing.WorkflowID("slow")
	c := &queryClient{queries: map[string]int{}, script: map[string][]error{
		slow: {serviceerror.NewDeadlineExceeded("query timed out"), context.DeadlineExceeded},
	}}
	env := &Env{Client: c}
	require.NoError(t, settle(context.Background(), env, []string{"fast", "slow"}, 2))
	require.Equal(t, 3, c.queries[slow], "asked again after each timeout")
	require.Equal(t, 1, c.queries[signing.WorkflowID("fast")])

	broken := errors.New("no such namespace")
	c.script[slow] = []error{broken}
	err := settle(context.Background(), env, []string{"slow"}, 1)
	require.ErrorIs(t, err, broken)
}
