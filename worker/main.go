// Command worker runs the SigningProcess workflow and its activities.
// Configuration comes from the environment (see the README's settings).
package main

import "github.com/firmaflow/firmaflow/internal/app"

func main() { app.Main("worker", app.RunWorker) }
