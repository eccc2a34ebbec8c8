// Command worker runs the SigningProcess workflow and its activities.
// Configuration comes from the environment (see the README's settings).
//
//	worker                  run the worker
//	worker -migrate-routes  once after upgrading: register processes sent
//	                        before routes existed with their routes, and exit
package main

import (
	"flag"
	"os"
	"strconv"

	"github.com/firmaflow/firmaflow/internal/app"
	"github.com/firmaflow/firmaflow/workflows"
)

// eventsPerRunEnv lowers the events a SigningProcess run handles before it
// continues as new. Tests only (the fault test's pile-up); every worker of a
// deployment must use the same value.
const eventsPerRunEnv = "FIRMAFLOW_TEST_EVENTS_PER_RUN"

func main() {
	migrate := flag.Bool("migrate-routes", false, "register processes sent before routes existed, then exit")
	flag.Parse()
	if *migrate {
		app.Main("migrate-routes", app.MigrateRoutes)
		return
	}
	if n, err := strconv.Atoi(os.Getenv(eventsPerRunEnv)); err == nil && n > 0 {
		workflows.SetEventsPerRun(n)
	}
	app.Main("worker", app.RunWorker)
}
