package config

import (
	"cmp"
	"fmt"
	"os"

	envconfig "github.com/sethvargo/go-envconfig"
	temporalenv "go.temporal.io/sdk/contrib/envconfig"
)

// Defaults of the Temporal connection when neither firmaflow's settings nor
// Temporal's environment configuration name one (the dev server's).
const (
	DefaultTemporalAddress   = "localhost:7233"
	DefaultTemporalNamespace = "default"
)

// Temporal is where workflows run and how to reach them.
//
// The connection (TLS, mTLS, API key, gRPC headers) comes from Temporal's
// own environment configuration, the one the temporal CLI reads: the
// temporal.toml profile (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE) under the
// TEMPORAL_* variables. Address and Namespace win over it when set: Load
// fills them from TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE, else the profile,
// else the defaults, and code that sets them (the dev stack, tests, the load
// tool's -temporal) means them.
type Temporal struct {
	Address   string `env:"TEMPORAL_ADDRESS"`
	Namespace string `env:"TEMPORAL_NAMESPACE"`
	TaskQueue string `env:"FIRMAFLOW_TASK_QUEUE, default=firmaflow"`
	// UIURL is used to print links to runs.
	UIURL string `env:"FIRMAFLOW_TEMPORAL_UI_URL, default=http://localhost:8233"`
	// RegisterSearchAttributes makes the worker add missing search attributes at start-up.
	RegisterSearchAttributes bool `env:"FIRMAFLOW_REGISTER_SEARCH_ATTRIBUTES, default=true"`
	// GRPCCompression is how requests to Temporal are compressed: "none"
	// or "gzip" (the SDK's own default). firmaflow's messages are small
	// (events are capped, documents travel as store keys), and gzip costs
	// each side of every call a fresh compressor, about 0.15 ms of CPU in
	// the client alone (docs/benchmarks.md); worth it only on a link that
	// costs more than the CPU.
	GRPCCompression string `env:"FIRMAFLOW_TEMPORAL_GRPC_COMPRESSION, default=none"`

	// profile is Temporal's environment configuration as Load found it;
	// nil (a Config built in code, or Plain) dials plain gRPC.
	profile *temporalenv.ClientConfigProfile
}

// Connection is the profile to dial with: Temporal's environment
// configuration with Address and Namespace put over it.
func (t Temporal) Connection() temporalenv.ClientConfigProfile {
	var p temporalenv.ClientConfigProfile
	if t.profile != nil {
		p = *t.profile
	}
	p.Address = cmp.Or(t.Address, DefaultTemporalAddress)
	p.Namespace = cmp.Or(t.Namespace, DefaultTemporalNamespace)
	return p
}

// Plain drops the TLS, API key and headers read from Temporal's environment
// configuration: the embedded dev server speaks plain gRPC whatever profile
// the machine's temporal CLI uses.
func (t *Temporal) Plain() { t.profile = nil }

// GRPC compression settings (Temporal.GRPCCompression).
const (
	CompressionNone = "none"
	CompressionGzip = "gzip"
)

// resolve reads Temporal's environment configuration through l and fills
// what firmaflow's own variables left empty.
func (t *Temporal) resolve(l envconfig.Lookuper) error {
	switch t.GRPCCompression {
	case CompressionNone, CompressionGzip:
	default:
		return fmt.Errorf("config: FIRMAFLOW_TEMPORAL_GRPC_COMPRESSION=%q: want none or gzip", t.GRPCCompression)
	}
	p, err := temporalenv.LoadClientConfigProfile(temporalenv.LoadClientConfigProfileOptions{EnvLookup: temporalEnv{l}})
	if err != nil {
		return fmt.Errorf("config: Temporal environment configuration (temporal.toml profile, TEMPORAL_* variables): %w", err)
	}
	t.Address = cmp.Or(t.Address, p.Address, DefaultTemporalAddress)
	t.Namespace = cmp.Or(t.Namespace, p.Namespace, DefaultTemporalNamespace)
	t.profile = &p
	return nil
}

// temporalEnv gives Temporal's envconfig the variables l holds. Environ
// (for TEMPORAL_GRPC_META_*) needs a lookuper that can list them.
type temporalEnv struct{ l envconfig.Lookuper }

func (e temporalEnv) LookupEnv(key string) (string, bool) { return e.l.Lookup(key) }

func (e temporalEnv) Environ() []string {
	if lister, ok := e.l.(interface{ Environ() []string }); ok {
		return lister.Environ()
	}
	return nil
}

// OSLookuper reads the process environment and can list it.
func OSLookuper() envconfig.Lookuper { return osEnv{} }

type osEnv struct{}

func (osEnv) Lookup(key string) (string, bool) { return os.LookupEnv(key) }
func (osEnv) Environ() []string                { return os.Environ() }
