package workflows

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/firmaflow/firmaflow/signing"
)

// versionsAsked runs a whole process (send, two signatures, completion,
// fetch) and returns the change ids it recorded a version for, in order.
// prefer decides each version, as a worker would for a new run.
func versionsAsked(t *testing.T, prefer func(changeID string) workflow.Version) ([]string, signing.Result) {
	h := newHarness(t)
	var mu sync.Mutex
	var asked []string
	h.env.SetWorkerOptions(worker.Options{PreferredVersionProvider: func(in worker.PreferredVersionProviderInput) *worker.VersionPreference {
		mu.Lock()
		defer mu.Unlock()
		asked = append(asked, in.ChangeID)
		return &worker.VersionPreference{Version: prefer(in.ChangeID)}
	}})
	h.signedByBothThenCompleted()
	res, err := h.run(testInput())
	require.NoError(t, err)
	h.env.AssertExpectations(t)
	return asked, res
}

func TestNewRunRecordsOneVersionMarker(t *testing.T) {
	asked, res := versionsAsked(t, func(string) workflow.Version { return 1 })
	require.Equal(t, []string{behaviourBundle}, asked,
		"one marker (and one TemporalChangeVersion upsert) per process, not one per change")
	require.Equal(t, signing.StatusCompleted, res.Status)
}

func TestRunFromBeforeTheBundleAsksForEachChange(t *testing.T) {
	// A run recorded before the bundle has no marker for it: DefaultVersion.
	asked, res := versionsAsked(t, func(id string) workflow.Version {
		if id == behaviourBundle {
			return workflow.DefaultVersion
		}
		return 1
	})
	require.Equal(t, []string{behaviourBundle, "internal-input", "input-defaults", "continue-as-new", "reconcile", "lifecycle-rounds", "withdraw-on-give-up"}, asked)
	for _, id := range asked[1:] {
		require.Contains(t, bundledChanges, id, "the bundle stands for every change a run from before it asks for")
	}
	require.Equal(t, signing.StatusCompleted, res.Status)
}

// statusUpserts runs a whole process started as starter/processes starts
// one (provider and status "sending" indexed at start) with the given
// bundle version, and returns the statuses it upserted, in order.
func statusUpserts(t *testing.T, bundle workflow.Version) []string {
	h := newHarness(t)
	h.env.SetWorkerOptions(worker.Options{PreferredVersionProvider: func(in worker.PreferredVersionProviderInput) *worker.VersionPreference {
		return &worker.VersionPreference{Version: bundle}
	}})
	require.NoError(t, h.env.SetTypedSearchAttributesOnStart(temporal.NewSearchAttributes(
		ProviderKey.ValueSet("arqsign"), StatusKey.ValueSet(string(signing.StatusSending)))))
	var statuses []string
	h.env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		if s, ok := args.Get(0).(temporal.SearchAttributes).GetKeyword(StatusKey); ok {
			statuses = append(statuses, s)
		}
	}).Return(nil)
	h.signedByBothThenCompleted()
	res, err := h.run(testInput())
	require.NoError(t, err)
	require.Equal(t, signing.StatusCompleted, res.Status)
	return statuses
}

// A new run does not upsert the status its client indexed at start (one
// visibility write less per process); a run recorded with the bundle's
// version 1 upserts it, as it ran.
func TestStatusIndexedAtStartIsNotUpsertedAgain(t *testing.T) {
	require.Equal(t, []string{"awaiting_signatures", "fetching_documents", "completed"}, statusUpserts(t, bundleSkipsIndexed))
	require.Equal(t, []string{"sending", "awaiting_signatures", "fetching_documents", "completed"}, statusUpserts(t, 1))
}
