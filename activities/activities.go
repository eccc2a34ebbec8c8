// Package activities holds the SigningProcess activities: the only code that
// calls provider APIs and touches the document store. They are idempotent
// enough to be retried by Temporal: document keys are deterministic and
// injective, so a retried fetch finds the objects its earlier attempt
// stored, and never those of another process.
package activities

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/firmaflow/firmaflow/docstore"
	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/signing"
)

// Activities holds the dependencies of the SigningProcess activities.
type Activities struct {
	Providers *providers.Registry
	Store     *docstore.Store
	Logger    *slog.Logger
	// Temporal and Namespace serve the event inbox (owner lookup, forwarding).
	Temporal  client.Client
	Namespace string
	// TaskQueue is where routing workflows (routes, accounts) run.
	TaskQueue string
	Callbacks Callbacks
}

// SendOutput identifies the process the provider opened.
type SendOutput struct {
	ProviderRef string `json:"provider_ref"`
}

// ProviderCall names a process at a provider.
type ProviderCall struct {
	Provider    string `json:"provider"`
	ProviderRef string `json:"provider_ref"`
	// ExpiresInDays is used by Renew.
	ExpiresInDays int `json:"expires_in_days,omitempty"`
	// Notice is the key of the provider notice the call answers (Renew:
	// the expiry it renews).
	Notice string `json:"notice,omitempty"`
	// Reason is used by Cancel.
	Reason string `json:"reason,omitempty"`
}

// FetchInput lists the result documents of a completed process.
type FetchInput struct {
	ProcessID   string                  `json:"process_id"`
	Provider    string                  `json:"provider"`
	ProviderRef string                  `json:"provider_ref"`
	Documents   []signing.EventDocument `json:"documents"`
}

// Error types the workflow and operators see in failures.
const (
	ErrTypeProvider        = "ProviderError"
	ErrTypeUnknownProvider = "UnknownProvider"
	ErrTypeDocument        = "DocumentError"
	// ErrTypeUnsupported: the provider's API has no such operation.
	ErrTypeUnsupported = "Unsupported"
)

// heartbeatEvery is how often a running activity heartbeats; the
// workflow's heartbeat timeout (30 s) is several of these. A variable so
// tests can shorten it.
var heartbeatEvery = 5 * time.Second

// keepAlive heartbeats while an activity runs, so that a worker that dies
// mid-call is noticed within the heartbeat timeout rather than after the
// whole start-to-close timeout. Every activity the workflow runs with a
// heartbeat timeout must call it: one that does not heartbeat is retried
// while its first call still runs, and a provider sees the call twice.
// The returned func stops it.
func keepAlive(ctx context.Context) func() {
	if !activity.IsActivity(ctx) {
		return func() {}
	}
	done := make(chan struct{})
	every := heartbeatEvery // read here, in the activity, not in the goroutine that outlives it
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				activity.RecordHeartbeat(ctx)
			}
		}
	}()
	return func() { close(done) }
}

// Send opens the process at the provider with the input's documents, read
// from the document store as streams.
func (a *Activities) Send(ctx context.Context, in signing.Input) (SendOutput, error) {
	p, err := a.provider(in.Provider)
	if err != nil {
		return SendOutput{}, err
	}
	// The marker makes the send happen once per process id, across retries
	// and across runs under the same workflow id (send_marker.go).
	m, done, err := a.beginSend(ctx, in)
	if err != nil {
		return SendOutput{}, err
	}
	owner := ownerWorkflowID(ctx, in.ProcessID)
	if _, ok := p.(providers.AccountEvents); ok {
		// Joined before the provider process exists: no account-wide event
		// about it can miss it.
		if err := a.joinAccount(ctx, in.Provider, owner); err != nil {
			return SendOutput{}, err
		}
	}
	var out SendOutput
	if done {
		a.logger(ctx).Warn("process already sent; not sending again", "provider", in.Provider,
			"provider_ref", m.ProviderRef, "first_run_id", m.RunID)
		out = SendOutput{ProviderRef: m.ProviderRef}
	} else {
		docs, err := a.openDocuments(ctx, in)
		if err != nil {
			return SendOutput{}, err
		}
		if out, err = a.sendOnce(ctx, p, in, docs, m); err != nil {
			return SendOutput{}, err
		}
	}
	// Registered before the send returns, so that the process's own
	// workflow never waits on an event it could not be reached by. A
	// failure here retries the activity; the send marker keeps the
	// provider from being called again.
	if _, ok := p.(providers.ReferenceIsProcessID); !ok {
		if err := a.registerRoute(ctx, in.Provider, out.ProviderRef, owner); err != nil {
			return SendOutput{}, err
		}
	}
	return out, nil
}

// ownerWorkflowID is the workflow the running activity serves.
func ownerWorkflowID(ctx context.Context, processID string) string {
	if activity.IsActivity(ctx) {
		return activity.GetInfo(ctx).WorkflowExecution.ID
	}
	return signing.WorkflowID(processID)
}

// openDocuments opens the input's documents in the store as streams.
func (a *Activities) openDocuments(ctx context.Context, in signing.Input) ([]providers.Document, error) {
	docs := make([]providers.Document, 0, len(in.Documents))
	for _, ref := range in.Documents {
		size, err := a.Store.Size(ctx, ref.Key)
		if err != nil {
			if errors.Is(err, docstore.ErrNotFound) {
				return nil, temporal.NewNonRetryableApplicationError(
					fmt.Sprintf("send: document %q not in the store", ref.Key), ErrTypeDocument, err)
			}
			return nil, fmt.Errorf("send: %w", err)
		}
		key := ref.Key
		docs = append(docs, providers.Document{
			DocumentRef: ref,
			Size:        size,
			Open:        func(ctx context.Context) (io.ReadCloser, error) { return a.Store.Open(ctx, key) },
		})
	}
	return docs, nil
}

// Cancel ends the process at the provider.
func (a *Activities) Cancel(ctx context.Context, call ProviderCall) error {
	defer keepAlive(ctx)()
	p, err := a.provider(call.Provider)
	if err != nil {
		return err
	}
	// A retried cancel (the first attempt's answer was lost, or its worker
	// died mid-call) asks first: the provider may have cancelled already,
	// and a second cancel is a call nobody asked for.
	if retried(ctx) {
		if st, err := p.Status(ctx, call.ProviderRef); err == nil && st == signing.StatusCancelled {
			return nil
		}
	}
	return classify(p.Cancel(ctx, call.ProviderRef, call.Reason))
}

// Reconcile reads the provider's view of the process, so the workflow can
// catch up on notifications that never came.
func (a *Activities) Reconcile(ctx context.Context, call ProviderCall) (providers.Snapshot, error) {
	defer keepAlive(ctx)()
	p, err := a.provider(call.Provider)
	if err != nil {
		return providers.Snapshot{}, err
	}
	if r, ok := p.(providers.Reconciler); ok {
		snap, err := r.Reconcile(ctx, call.ProviderRef)
		return snap, classify(err)
	}
	st, err := p.Status(ctx, call.ProviderRef)
	return providers.Snapshot{Status: st}, classify(err)
}

// TokensAvailable returns the provider account's token balance.
func (a *Activities) TokensAvailable(ctx context.Context, call ProviderCall) (int, error) {
	defer keepAlive(ctx)()
	gate, err := a.tokenGate(call.Provider)
	if err != nil {
		return 0, err
	}
	n, err := gate.TokensAvailable(ctx)
	return n, classify(err)
}

// FinishReady finishes the process's document if it waits as ready for
// tokens. It reports whether it finished one; false means there was nothing
// to finish (never two tokens for one document).
func (a *Activities) FinishReady(ctx context.Context, call ProviderCall) (bool, error) {
	defer keepAlive(ctx)()
	gate, err := a.tokenGate(call.Provider)
	if err != nil {
		return false, err
	}
	done, err := gate.FinishReady(ctx, call.ProviderRef)
	if err != nil {
		return false, classify(err)
	}
	a.logger(ctx).Info("ready document finish", "provider", call.Provider, "provider_ref", call.ProviderRef, "finished", done)
	return done, nil
}

func (a *Activities) tokenGate(name string) (providers.TokenGate, error) {
	p, err := a.provider(name)
	if err != nil {
		return nil, err
	}
	gate, ok := p.(providers.TokenGate)
	if !ok {
		return nil, classify(providers.Unsupported(name, "token balance", "the provider does not spend tokens"))
	}
	return gate, nil
}

func (a *Activities) provider(name string) (providers.Provider, error) {
	p, err := a.Providers.Provider(name)
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeUnknownProvider, err)
	}
	return p, nil
}

func (a *Activities) logger(ctx context.Context) *slog.Logger {
	l := a.Logger
	if l == nil {
		l = slog.Default()
	}
	if activity.IsActivity(ctx) {
		info := activity.GetInfo(ctx)
		l = l.With("workflow_id", info.WorkflowExecution.ID, "activity", info.ActivityType.Name, "attempt", info.Attempt)
	}
	return l
}

// classify turns provider errors into Temporal application errors: final ones
// are non-retryable and carry the provider's message; retryable ones honour
// the provider's Retry-After.
func classify(err error) error {
	if err == nil {
		return nil
	}
	// Errors become history, state and results: no URL secrets in them.
	err = providers.RedactErrorURLs(err)
	var unsupported *providers.UnsupportedError
	if errors.As(err, &unsupported) {
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeUnsupported, err)
	}
	var apiErr *providers.APIError
	if !errors.As(err, &apiErr) {
		return err
	}
	opts := temporal.ApplicationErrorOptions{Cause: err, NonRetryable: !apiErr.Retryable()}
	if apiErr.Retryable() && apiErr.RetryAfter > 0 {
		opts.NextRetryDelay = min(apiErr.RetryAfter, 10*time.Minute)
	}
	return temporal.NewApplicationErrorWithOptions(err.Error(), ErrTypeProvider, opts)
}
