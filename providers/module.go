package providers

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/firmaflow/firmaflow/config"
	"github.com/firmaflow/firmaflow/simulators/simkit"
)

// Module is everything provider-specific, declared by the provider's
// package (arqsign.Module, ...) and wired in by one line of the module
// list (internal/modules). Configuration loading, secret checks, the
// worker, the bridge and the dev stack all work from modules, so none of
// them names a provider.
type Module struct {
	// Name is the provider's name in inputs, events and webhook URLs.
	Name string
	// NewSection returns an empty configuration section, which
	// go-envconfig fills from the provider's own variables.
	NewSection func() Section
	// DevSection returns the section that points the provider at its
	// simulator (served at simURL), with the simulator's published secrets.
	DevSection func(simURL string) Section
	// Simulator runs the provider's simulator in the dev stack.
	Simulator Simulator
}

// WithSimulator returns m with its simulator. A simulator package imports
// its provider's wire types, so the provider's package cannot import it:
// the module list joins the two (arqsign.Module.WithSimulator(arqsignsim.Dev)).
func (m Module) WithSimulator(s Simulator) Module {
	m.Simulator = s
	return m
}

// Section is a provider's configuration section, which builds the provider.
type Section interface {
	config.Section
	// Build makes the provider's API client and webhook parser.
	Build(deps Deps) (Built, error)
}

// Deps are what a provider is built with besides its own section.
type Deps struct {
	// Credentials keeps credentials a provider rotates where every worker
	// sees them (nil: in this process only).
	Credentials CredentialStore
	// AllowPrivateDownloads permits document links on loopback or private
	// addresses (the simulators).
	AllowPrivateDownloads bool
	// WebhookURL is where the bridge receives the provider's webhooks, for
	// providers that are told per process where to notify.
	WebhookURL string
	Logger     *slog.Logger
}

// Built is a provider made from its section.
type Built struct {
	Provider Provider
	Webhook  Webhook
	// WebhookSecret is what the provider's webhooks present (a token) or
	// are signed with (SignedWebhook); the bridge refuses webhooks without it.
	WebhookSecret string
}

// ArchiveOnlyStarter is implemented by providers that can be set to land
// completions of processes firmaflow did not send: when ArchiveOnlyStart
// reports true, such a completion starts an archive-only process.
type ArchiveOnlyStarter interface {
	ArchiveOnlyStart() bool
}

// Simulator is how the dev stack runs a provider's simulator.
type Simulator struct {
	// Addr is the simulator's address in cmd/devstack.
	Addr string
	// Scenarios are the scenario names it plays.
	Scenarios []string
	// Start runs the simulator; the dev stack serves its Handler.
	Start func(SimOptions) (RunningSimulator, error)
}

// SimOptions configure a simulator the dev stack starts.
type SimOptions struct {
	// Section is the provider's dev section (Module.DevSection): the
	// simulator accepts the credentials it holds.
	Section Section
	// WebhookURL is the bridge's URL for the provider's webhooks.
	WebhookURL      string
	DefaultScenario string
	StepDelay       time.Duration
	Faults          simkit.Faults
	// StatePath, when set, is the file the simulator keeps its state in,
	// so a restarted dev stack carries on the processes in flight.
	StatePath string
	Logger    *slog.Logger
}

// RunningSimulator is a started simulator.
type RunningSimulator interface {
	Handler() http.Handler
	Close()
	// LedgerOf and Ledger are the simulator's ground truth, which tests
	// hold processes to.
	LedgerOf(ref string) (simkit.ProcessLedger, bool)
	Ledger() []simkit.ProcessLedger
}
