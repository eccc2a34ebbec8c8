// Package loadtest measures firmaflow under load against a baseline run in
// the same process on the same Temporal server, so that only the ratio has
// to mean something on a shared machine (cmd/loadtest runs it).
//
//   - ingest (ingest.go): open processes, then webhooks through the bridge
//     at a concurrency, then as many equivalent events as raw
//     SignalWorkflow calls to the same workflows; both sets are checked in
//     the workflows' histories (verify.go).
//   - lifecycle (lifecycle.go): whole processes through firmaflow, then
//     through a bare workflow with firmaflow's activities, signals and timer
//     (bare_workflow.go), fed by a minimal webhook router (bare_router.go).
//
// The bridge's Temporal calls are counted by a gRPC interceptor on its own
// connection (counter.go); Temporal calls per webhook is those calls over
// the webhooks it received.
package loadtest
