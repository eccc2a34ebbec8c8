package devstack

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/firmaflow/firmaflow/config"
	"github.com/firmaflow/firmaflow/internal/devserver"
	"github.com/firmaflow/firmaflow/internal/modules"
)

func testConfig(t *testing.T) config.Config {
	t.Helper()
	cfg, err := config.LoadFrom(context.Background(), lookup{"FIRMAFLOW_DOCSTORE_URL": t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

type lookup map[string]string

func (m lookup) Lookup(k string) (string, bool) { v, ok := m[k]; return v, ok }

// taken listens on a free port for the test's duration.
func taken(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String()
}

// TestRefusesATakenPort: a dev stack whose port is taken refuses to start,
// naming the port, instead of using whatever listens there. These ports
// are checked before Temporal starts, so no dev server is needed (the CLI
// path is never executed).
func TestRefusesATakenPort(t *testing.T) {
	t.Setenv(devserver.EnvBinary, "/nonexistent/temporal-not-run")
	for _, tc := range []struct {
		name string
		opts func(addr string) Options
	}{
		{"Temporal frontend", func(a string) Options { return Options{TemporalHostPort: a} }},
		{"Temporal UI", func(a string) Options {
			_, port, _ := net.SplitHostPort(a)
			return Options{UIPort: port}
		}},
		{"webhook bridge", func(a string) Options { return Options{BridgeAddr: a} }},
		{"autosign simulator", func(a string) Options { return Options{SimulatorAddrs: map[string]string{"autosign": a}} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := taken(t)
			opts := tc.opts(addr)
			opts.Config = testConfig(t)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s, err := Start(ctx, opts)
			if err == nil {
				s.Close()
				t.Fatalf("started on a taken %s port", tc.name)
			}
			var inUse *devserver.PortInUseError
			_, port, _ := net.SplitHostPort(addr)
			if !errors.As(err, &inUse) || !strings.Contains(err.Error(), port) || !strings.Contains(err.Error(), tc.name) {
				t.Fatalf("error does not name the taken %s port %s: %v", tc.name, port, err)
			}
		})
	}
}

func TestRefusesAnUnknownDefaultScenario(t *testing.T) {
	_, err := Start(context.Background(), Options{Config: testConfig(t), DefaultScenario: "sgin"})
	if err == nil || !strings.Contains(err.Error(), `"sgin"`) || !strings.Contains(err.Error(), "sign") {
		t.Fatalf("want an error naming the unknown scenario and the known ones, got %v", err)
	}
	if err := checkDefaultScenario(modules.All, "delivery-failure"); err != nil {
		t.Fatalf("a scenario one simulator plays is a valid default: %v", err)
	}
}
