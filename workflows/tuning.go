package workflows

// SetEventsPerRun changes how many events one run of SigningProcess handles
// before it continues as new (default 1000). It is for the fault test, which
// makes hundreds of events pile up across a continue-as-new without sending
// thousands: call it before the worker starts, the same on every worker, or
// replays of running processes would diverge.
func SetEventsPerRun(n int) {
	if n > 0 {
		eventsPerRun = n
	}
}
