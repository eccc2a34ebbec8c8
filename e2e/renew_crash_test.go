package e2e

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/firmaflow/firmaflow/internal/app"
	"github.com/firmaflow/firmaflow/internal/simulated"
	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/providers/arqsign"
	"github.com/firmaflow/firmaflow/signing"
	"github.com/firmaflow/firmaflow/simulators/arqsignsim"
	"github.com/firmaflow/firmaflow/starter/processes"
)

// lostRenewal is the ArqSIGN client whose first renewal lands at the
// provider but whose answer never comes back, as when the worker dies
// mid-call. It gives up on that answer only once the provider has expired
// the process again and notified firmaflow of it, as the simulator's
// expire-always scenario does within the heartbeat timeout a real crash
// waits for: the retried renewal then finds the process expired again.
type lostRenewal struct {
	*arqsign.Client
	mu   sync.Mutex
	lost bool
}

func (l *lostRenewal) Renew(ctx context.Context, ref string, days int) error {
	if err := l.Client.Renew(ctx, ref, days); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lost {
		return nil
	}
	for ctx.Err() == nil {
		if expiryNotices(ref) >= 2 {
			l.lost = true
			return errors.New("connection reset by peer (the answer to a renewal the provider made)")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return ctx.Err()
}

// expiryNotices counts the expiry webhooks firmaflow answered 2xx for ref.
func expiryNotices(ref string) int {
	v, _ := simulated.ArqSIGN(stack).Process(ref)
	n := 0
	for _, tr := range v.Webhooks {
		if tr == arqsign.TriggerExpired {
			n++
		}
	}
	return n
}

// TestRetriedRenewalAfterALostAnswerRenewsOnce: ArqSIGN's renewal has no
// idempotency key. A renewal whose answer was lost after the provider
// renewed is retried; by then the provider has expired the process again
// (expire-always). The retry must not renew a second time: the provider's
// notice of the new expiry, received after the renewal was asked for,
// shows the first attempt landed. The fault test hit this when its worker
// was killed mid-renewal on a loaded machine (renewals 2, want 1).
func TestRetriedRenewalAfterALostAnswerRenewsOnce(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	real, _, err := app.ProvidersWith(stack.Config, log, stack.Store)
	require.NoError(t, err)
	reg := providers.NewRegistry()
	var lossy *lostRenewal
	for _, name := range real.Names() {
		p, err := real.Provider(name)
		require.NoError(t, err)
		w, _ := real.Webhook(name)
		if name == arqsign.Name {
			lossy = &lostRenewal{Client: p.(*arqsign.Client)}
			p = lossy
		}
		reg.Register(p, w)
	}
	// Its own task queue and worker, so only this process meets the lossy client.
	cfg := stack.Config
	cfg.Temporal.TaskQueue = "renew-lost-answer-" + processes.NewProcessID()
	w, err := app.NewWorker(stack.Client, cfg, reg, stack.Store, log)
	require.NoError(t, err)
	require.NoError(t, w.Start())
	defer w.Stop()

	id := processes.NewProcessID()
	doc, err := stack.Store.Put(ctx, "inbox/"+id+"/contract.pdf", strings.NewReader("%PDF-1.4\n"+t.Name()+"\n%%EOF\n"), "application/pdf")
	require.NoError(t, err)
	in := signing.Input{
		ProcessID: id, Provider: arqsign.Name, Title: t.Name() + " [sim:" + arqsignsim.ScenarioExpireAlways + "]",
		Documents:     []signing.DocumentRef{{Name: "contract.pdf", Key: doc.Key}},
		Signers:       []signing.Signer{{Name: "Ana Souza", Email: "ana@example.com", Order: 1}},
		ExpiresInDays: 10, Resend: fastPolicy,
	}
	run, err := processes.Start(ctx, stack.Client, cfg.Temporal.TaskQueue, in)
	require.NoError(t, err)
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	res, err := processes.Result(wctx, run)
	require.NoError(t, err)

	v, ok := simulated.ArqSIGN(stack).Process(res.ProviderRef)
	require.True(t, ok)
	require.Equal(t, signing.StatusExpired, res.Status, res.Reason)
	require.Equal(t, 1, res.Renewals, "the workflow renewed once")
	lossy.mu.Lock()
	require.True(t, lossy.lost, "the first renewal's answer was lost, so Temporal retried it")
	lossy.mu.Unlock()
	require.Equal(t, 1, v.Counts.Renewals, "the provider renewed once: the retry did not renew again")
	require.Equal(t, 1, v.Counts.Cancels, "giving up at the limit withdraws the process once")
	require.Equal(t, 2, expiryNotices(res.ProviderRef), "one expiry per renewal round, no third")
}
