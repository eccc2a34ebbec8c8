package reliability

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/firmaflow/firmaflow/signing"
)

// cancelAsUser cancels a waiting process as a user would, retrying through
// the faults. A cancel whose answer was lost may still land: the client
// can give up on the update (a minute without it being accepted, a server
// restart) while Temporal still holds it. A process already cancelling or
// cancelled was cancelled by such an attempt (nothing else cancels the
// manual scenario), so that ends the retries; the result and the oracle
// then say whether it took effect once.
func cancelAsUser(ctx context.Context, processID string, state func() (signing.State, error), cancel func() error) error {
	return retry(ctx, func() error {
		st, err := state()
		if err != nil {
			return err
		}
		switch st.Status {
		case signing.StatusCancelling, signing.StatusCancelled:
			return nil
		case signing.StatusAwaitingSignatures:
		default:
			return fmt.Errorf("status %s", st.Status)
		}
		if err := cancel(); err != nil {
			fmt.Printf("fault test: cancel of %s answered %v; checking whether it landed\n", processID, err)
			return err
		}
		return nil
	})
}

// TestCancelWhoseAnswerWasLostIsNotRetriedForever: the fault test in CI
// retried for minutes a cancel that had landed, because it waited for the
// process to wait for signatures again, and failed.
func TestCancelWhoseAnswerWasLostIsNotRetriedForever(t *testing.T) {
	status := signing.StatusAwaitingSignatures
	calls := 0
	cancel := func() error {
		calls++
		status = signing.StatusCancelling // the update runs on after the client gave up
		return errors.New("context deadline exceeded")
	}
	state := func() (signing.State, error) { return signing.State{Status: status}, nil }
	ctx, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	require.NoError(t, cancelAsUser(ctx, "p", state, cancel))
	require.Equal(t, 1, calls, "the landed cancel is not sent again")

	status, calls = signing.StatusSending, 0
	brief, done := context.WithTimeout(ctx, 600*time.Millisecond)
	defer done()
	require.Error(t, cancelAsUser(brief, "p", state, cancel), "a process in another state is not taken as cancelled")
	require.Zero(t, calls)
}
