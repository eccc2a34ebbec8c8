package workflows

import "go.temporal.io/sdk/workflow"

// behaviourBundle is one version marker standing for every change of
// SigningProcess made behind workflow.GetVersion up to it: bundledChanges.
// A new run records it once, where it recorded a marker and an upsert of
// TemporalChangeVersion (a visibility write) per change, up to six in a
// plain process. Runs recorded before the bundle find no marker for it
// and ask for each change as they did, so they replay as they ran.
//
// A later change gets a GetVersion of its own, asked through has like
// these; a later bundle may fold it in by asking for itself first and
// treating runs with this bundle as having every change up to it.
const behaviourBundle = "behaviour-2026-11"

// bundleSkipsIndexed is behaviourBundle's version 2: a status that
// visibility already has (the one a client set at start) is not upserted
// again. Runs recorded with version 1 upsert it, as they ran.
const bundleSkipsIndexed workflow.Version = 2

// bundledChanges are the change ids behaviourBundle stands for.
var bundledChanges = []string{
	"internal-input", "input-defaults", "continue-as-new", "reconcile", "lifecycle-rounds",
	"withdraw-on-give-up", "settle-on-end", "callback", "temporal-cancel",
}

// hasChange reports whether the run has the behaviour added under
// changeID: every bundled run has it; a run from before the bundle has it
// if it recorded (or now records) changeID's version 1.
func hasChange(ctx workflow.Context, bundled bool, changeID string) bool {
	if bundled {
		return true
	}
	return workflow.GetVersion(ctx, changeID, workflow.DefaultVersion, 1) >= 1
}

// has is hasChange for this run.
func (p *process) has(ctx workflow.Context, changeID string) bool {
	return hasChange(ctx, p.bundled, changeID)
}
