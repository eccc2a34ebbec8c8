// Command webhookbridge serves providers' webhooks (and, when
// FIRMAFLOW_API_TOKEN is set, the process API) and signals workflows.
// Configuration comes from the environment (see the README's settings).
package main

import "github.com/firmaflow/firmaflow/internal/app"

func main() { app.Main("bridge", app.RunBridge) }
