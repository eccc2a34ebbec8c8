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
	"github.com/firmaflow/firmaflow/starter/processes"
)

// lostAnswer is the ArqSIGN client whose first resend or renewal (op)
// lands at the provider but whose answer never comes back, as when the
// worker dies mid-call. It gives up on that answer only once the provider
// has notified what followed (ready), as a real crash's retry comes only
// after the 30 s heartbeat timeout: the retry then finds those notices.
type lostAnswer struct {
	*arqsign.Client
	op    string
	ready func(ref string) bool
	mu    sync.Mutex
	lost  bool
}

func (l *lostAnswer) Resend(ctx context.Context, ref string) error {
	if err := l.Client.Resend(ctx, ref); err != nil {
		return err
	}
	return l.lose(ctx, "resend", ref)
}

func (l *lostAnswer) Renew(ctx context.Context, ref string, days int) error {
	if err := l.Client.Renew(ctx, ref, days); err != nil {
		return err
	}
	return l.lose(ctx, "renew", ref)
}

func (l *lostAnswer) lose(ctx context.Context, op, ref string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if op != l.op || l.lost {
		return nil
	}
	for ctx.Err() == nil {
		if l.ready(ref) {
			l.lost = true
			return errors.New("connection reset by peer (the answer to a call the provider carried out)")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return ctx.Err()
}

func (l *lostAnswer) answerLost() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lost
}

// arqsignNotices counts the webhooks of trigger firmaflow answered 2xx for ref.
func arqsignNotices(ref string, trigger int) int {
	v, _ := simulated.ArqSIGN(stack).Process(ref)
	n := 0
	for _, tr := range v.Webhooks {
		if tr == trigger {
			n++
		}
	}
	return n
}

// runWithLostAnswer runs one ArqSIGN process of scenario on a worker of its
// own whose ArqSIGN client is lossy, and returns its result and the
// simulator's view of it.
func runWithLostAnswer(t *testing.T, lossy *lostAnswer, scenario string) (signing.Result, int, int, int) {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	real, _, err := app.ProvidersWith(stack.Config, log, stack.Store)
	require.NoError(t, err)
	reg := providers.NewRegistry()
	for _, name := range real.Names() {
		p, err := real.Provider(name)
		require.NoError(t, err)
		w, _ := real.Webhook(name)
		if name == arqsign.Name {
			lossy.Client = p.(*arqsign.Client)
			p = lossy
		}
		reg.Register(p, w)
	}
	// Its own task queue and worker, so only this process meets the lossy client.
	cfg := stack.Config
	cfg.Temporal.TaskQueue = "lost-answer-" + processes.NewProcessID()
	w, err := app.NewWorker(stack.Client, cfg, reg, stack.Store, log)
	require.NoError(t, err)
	require.NoError(t, w.Start())
	defer w.Stop()

	id := processes.NewProcessID()
	doc, err := stack.Store.Put(ctx, "inbox/"+id+"/contract.pdf", strings.NewReader("%PDF-1.4\n"+t.Name()+"\n%%EOF\n"), "application/pdf")
	require.NoError(t, err)
	in := signing.Input{
		ProcessID: id, Provider: arqsign.Name, Title: t.Name() + " [sim:" + scenario + "]",
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
	require.True(t, lossy.answerLost(), "the first %s's answer was lost, so Temporal retried it", lossy.op)
	v, ok := simulated.ArqSIGN(stack).Process(res.ProviderRef)
	require.True(t, ok)
	return res, v.Counts.Resends, v.Counts.Renewals, v.Counts.Cancels
}

// TestRetriedRenewalAfterALostAnswerRenewsOnce: ArqSIGN's renewal has no
// idempotency key. A renewal whose answer was lost after the provider
// renewed is retried; by then the provider has expired the process again
// (expire-always), so asking its status cannot tell. The provider's
// notices since the renewal was asked for can: the retry does not renew a
// second time. The fault test hit this when its worker was killed
// mid-renewal on a loaded machine (renewals 2, want 1).
func TestRetriedRenewalAfterALostAnswerRenewsOnce(t *testing.T) {
	lossy := &lostAnswer{op: "renew", ready: func(ref string) bool { return arqsignNotices(ref, arqsign.TriggerExpired) >= 2 }}
	res, _, renewals, cancels := runWithLostAnswer(t, lossy, "expire-always")
	require.Equal(t, signing.StatusExpired, res.Status, res.Reason)
	require.Equal(t, 1, res.Renewals, "the workflow renewed once")
	require.Equal(t, 1, renewals, "the provider renewed once: the retry did not renew again")
	require.Equal(t, 1, cancels, "giving up at the limit withdraws the process once")
	require.Equal(t, 2, arqsignNotices(res.ProviderRef, arqsign.TriggerExpired), "one expiry per renewal round, no third")
}

// TestRetriedResendAfterALostAnswerResendsOnce: the same for a resend after
// a delivery failure, which no status shows: the provider's notice of the
// resend, received since it was asked for, shows the first attempt landed.
func TestRetriedResendAfterALostAnswerResendsOnce(t *testing.T) {
	lossy := &lostAnswer{op: "resend", ready: func(ref string) bool { return arqsignNotices(ref, arqsign.TriggerResent) >= 1 }}
	res, resends, _, _ := runWithLostAnswer(t, lossy, "delivery-failure")
	require.Equal(t, signing.StatusCompleted, res.Status, res.Reason)
	require.Equal(t, 1, res.Resends, "the workflow resent once")
	require.Equal(t, 1, resends, "the provider resent once: the retry did not resend again")
	require.Len(t, res.Documents, 2, "the signed document and its signature record")
}
