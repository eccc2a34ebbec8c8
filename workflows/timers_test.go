package workflows

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/firmaflow/firmaflow/activities"
	"github.com/firmaflow/firmaflow/signing"
)

func TestDoublingSaturates(t *testing.T) {
	for _, c := range []struct {
		base  time.Duration
		n     int
		limit time.Duration
		want  time.Duration
	}{
		{time.Minute, 0, time.Hour, time.Minute},
		{time.Minute, 3, time.Hour, 8 * time.Minute},
		{time.Minute, 6, time.Hour, time.Hour},
		{150 * time.Minute, 20, 24 * time.Hour, 24 * time.Hour},
		{24 * time.Hour, 19, 24 * time.Hour, 24 * time.Hour},
		{time.Nanosecond, math.MaxInt, time.Hour, time.Hour},
		{time.Duration(math.MaxInt64), 70, 24 * time.Hour, 24 * time.Hour},
		{time.Minute, -1, time.Hour, time.Minute},
		{0, 3, time.Hour, time.Hour},
	} {
		got := doubling(c.base, c.n, c.limit)
		require.Equal(t, c.want, got, "doubling(%s, %d, %s)", c.base, c.n, c.limit)
	}
}

// A process that waits for months with a long reconcile interval keeps
// asking the provider at most daily: the doubling never overflows into a
// timer that fires at once.
func TestReconcileKeepsItsPaceOverMonths(t *testing.T) {
	h := newHarness(t)
	h.at(90*24*time.Hour, ev("x", signing.EventCancelled, ""))
	in := testInput()
	in.ReconcileEvery = signing.Duration(3 * time.Hour)
	res, err := h.run(in)
	require.NoError(t, err)
	require.Equal(t, signing.StatusCancelled, res.Status)
	// 3h, 6h, 12h, then daily for the rest of 90 days.
	require.InDelta(t, 3+(90*24-21)/24, h.reconciles, 2, "reconciliations in 90 days")
}

// Token checks and resend backoffs double with the same saturation.
func TestTokenChecksKeepTheirPaceOverMonths(t *testing.T) {
	h := newHarness(t)
	checks := 0
	h.env.OnActivity(acts.TokensAvailable, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.ProviderCall) (int, error) { checks++; return 0, nil })
	h.at(time.Minute, signing.Event{Key: "nt", Provider: "arqsign", Type: signing.EventAwaitingTokens, AccountWide: true})
	h.at(60*24*time.Hour, ev("x", signing.EventCancelled, ""))
	in := testInput()
	in.Resend.Backoff = signing.Duration(24 * time.Hour)
	_, err := h.run(in)
	require.NoError(t, err)
	require.InDelta(t, 60*24, checks, 5, "hourly checks at most over 60 days")
}

func TestInputBoundsAreRefused(t *testing.T) {
	for name, mut := range map[string]func(*signing.Input){
		"reconcile 1ns":     func(in *signing.Input) { in.ReconcileEvery = signing.Duration(time.Nanosecond) },
		"reconcile 30 days": func(in *signing.Input) { in.ReconcileEvery = signing.Duration(30 * 24 * time.Hour) },
		"backoff 1ns":       func(in *signing.Input) { in.Resend.Backoff = signing.Duration(time.Nanosecond) },
		"resends 1000":      func(in *signing.Input) { in.Resend.MaxResends = 1000 },
		"renewals -1":       func(in *signing.Input) { in.Resend.MaxRenewals = -1 },
		"expires 100 years": func(in *signing.Input) { in.ExpiresInDays = 36500 },
		"title 1 KB":        func(in *signing.Input) { in.Title = strings.Repeat("t", 1024) },
		"process id 1 KB":   func(in *signing.Input) { in.ProcessID = strings.Repeat("p", 1024) },
	} {
		t.Run(name, func(t *testing.T) {
			in := testInput()
			mut(&in)
			require.Error(t, in.WithDefaults().Validate())
			var s testsuite.WorkflowTestSuite
			env := s.NewTestWorkflowEnvironment()
			env.RegisterWorkflow(SigningProcess)
			env.ExecuteWorkflow(SigningProcess, ProcessInput{Input: in})
			require.ErrorContains(t, env.GetWorkflowError(), "invalid input")
		})
	}
}
