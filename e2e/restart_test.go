package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/firmaflow/firmaflow/config"
	"github.com/firmaflow/firmaflow/internal/devstack"
	"github.com/firmaflow/firmaflow/internal/simulated"
	"github.com/firmaflow/firmaflow/providers/arqsign"
	"github.com/firmaflow/firmaflow/providers/autosign"
	"github.com/firmaflow/firmaflow/providers/cellosign"
	"github.com/firmaflow/firmaflow/providers/contractualis"
	"github.com/firmaflow/firmaflow/signing"
	"github.com/firmaflow/firmaflow/starter/processes"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().String()
}

// TestProcessesCarryOnAfterADevStackRestart: one process per provider is
// stopped mid-way (a signer signed, the process not complete) by closing
// the whole dev stack, as Ctrl-C does; a dev stack started again on the
// same state directory and ports completes every one of them. With the
// simulators' state in memory they were stranded.
func TestProcessesCarryOnAfterADevStackRestart(t *testing.T) {
	ctx := context.Background()
	stateDir := t.TempDir()
	cfg, err := config.LoadFrom(ctx, mapLookuper{"FIRMAFLOW_DOCSTORE_URL": filepath.Join(stateDir, "documents")})
	require.NoError(t, err)
	providers := []string{arqsign.Name, contractualis.Name, autosign.Name, cellosign.Name}
	opts := devstack.Options{
		TemporalHostPort: freeAddr(t), BridgeAddr: freeAddr(t), SimulatorAddrs: map[string]string{},
		StateDir: stateDir, Config: cfg, DefaultScenario: "sign",
		// Slow enough steps that every process is caught mid-way, even when
		// the slowest to get going needs 16 s on a loaded machine.
		SimStepDelay: 2500 * time.Millisecond,
		Logger:       slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	for _, p := range providers {
		opts.SimulatorAddrs[p] = freeAddr(t)
	}
	first, err := devstack.Start(ctx, opts)
	require.NoError(t, err)
	closed := false
	defer func() {
		if !closed {
			first.Close()
		}
	}()

	// Eight signers: the first signature comes after one or two steps, the
	// completion after nine, so the slowest provider to get going (under
	// CPU load) still finds the others mid-way.
	var signers []signing.Signer
	for i := 1; i <= 8; i++ {
		signers = append(signers, signing.Signer{Name: fmt.Sprintf("Signer %d", i), Email: fmt.Sprintf("s%d@example.com", i), Order: i})
	}
	ids := map[string]string{}
	for _, p := range providers {
		id := processes.NewProcessID()
		doc, err := first.Store.Put(ctx, "inbox/"+id+"/contract.pdf", strings.NewReader("%PDF-1.4\nrestart "+p+"\n%%EOF\n"), "application/pdf")
		require.NoError(t, err)
		in := signing.Input{ProcessID: id, Provider: p, Title: fmt.Sprintf("Restart %s [sim:sign]", p),
			Documents: []signing.DocumentRef{{Name: "contract.pdf", Key: doc.Key}},
			Signers:   signers, ExpiresInDays: 10}
		_, err = processes.Start(ctx, first.Client, first.Config.Temporal.TaskQueue, in)
		require.NoError(t, err)
		ids[p] = id
	}
	// Mid-way: the provider has taken a step past sending (a signature
	// reached firmaflow; CelloSign, which only reports at the end, has a
	// recipient's submission), and nothing has completed.
	midway := func(p string) bool {
		st, err := processes.State(ctx, first.Client, ids[p])
		if err != nil || st.ProviderRef == "" {
			return false
		}
		if p == cellosign.Name {
			v, ok := simulated.CelloSign(first).Process(st.ProviderRef)
			return ok && v.Submitted >= 1
		}
		for _, s := range st.Signers {
			if s.Status == signing.SignerSigned {
				return true
			}
		}
		return false
	}
	start := time.Now()
	reached := map[string]bool{}
	require.Eventually(t, func() bool {
		for _, p := range providers {
			if !reached[p] && midway(p) {
				reached[p] = true
				t.Logf("%s mid-way after %v", p, time.Since(start).Round(time.Millisecond))
			}
		}
		return len(reached) == len(providers)
	}, 2*time.Minute, 50*time.Millisecond, "every process reaches mid-way")
	for _, p := range providers {
		st, err := processes.State(ctx, first.Client, ids[p])
		require.NoError(t, err)
		require.NotEqual(t, signing.StatusCompleted, st.Status, "%s completed before the restart: the test proves nothing", p)
	}
	first.Close()
	closed = true
	for _, p := range providers {
		_, err := os.Stat(devstack.SimStatePath(stateDir, p))
		require.NoError(t, err, "%s simulator state saved", p)
	}

	second, err := devstack.Start(ctx, opts)
	require.NoError(t, err)
	defer second.Close()
	for _, p := range providers {
		wctx, cancel := context.WithTimeout(ctx, 90*time.Second)
		res, err := processes.Result(wctx, second.Client.GetWorkflow(wctx, signing.WorkflowID(ids[p]), ""))
		cancel()
		require.NoError(t, err, p)
		require.Equal(t, signing.StatusCompleted, res.Status, "%s: %s", p, res.Reason)
		require.NotEmpty(t, res.Documents, p)
	}
}
