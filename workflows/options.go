package workflows

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// timeouts size an activity: each attempt is bounded by startToClose;
// retries (with backoff, honouring provider Retry-After) go on until
// scheduleToClose, so a provider outage of minutes does not end a process.
type timeouts struct{ startToClose, scheduleToClose time.Duration }

// heartbeatTimeout: every activity heartbeats while it runs
// (activities.keepAlive, every few seconds), so a worker that dies mid-call
// is noticed within it rather than after startToClose. Activities that did
// not heartbeat would be retried while their first call still ran.
const heartbeatTimeout = 30 * time.Second

var (
	// Provider HTTP clients give up after 2 minutes; an attempt gets a bit
	// longer so the client's own timeout, with its clear error, comes first.
	providerCallTimeouts = timeouts{3 * time.Minute, time.Hour}
	readTimeouts         = timeouts{3 * time.Minute, 10 * time.Minute}
	// Sends stream the documents up; fetches stream them down.
	sendTimeouts     = timeouts{10 * time.Minute, time.Hour}
	fetchTimeouts    = timeouts{15 * time.Minute, 6 * time.Hour}
	callbackTimeouts = timeouts{time.Minute, 24 * time.Hour}
)

func withOptions(ctx workflow.Context, summary string, t timeouts) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		Summary:                summary,
		StartToCloseTimeout:    t.startToClose,
		ScheduleToCloseTimeout: t.scheduleToClose,
		HeartbeatTimeout:       heartbeatTimeout,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
		},
	})
}

// rootMessage is the innermost message of an activity failure: the
// provider's own words rather than Temporal's wrapping.
func rootMessage(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Error()
	}
	return err.Error()
}
