// Package app wires firmaflow's processes from configuration: the Temporal
// client, the document store, the providers, the worker and the bridge. The
// commands (worker/, starter/, cmd/...) and the end-to-end tests share it, so
// what is tested is what runs.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"

	"go.opentelemetry.io/otel"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/grpc"

	"github.com/firmaflow/firmaflow/activities"
	"github.com/firmaflow/firmaflow/callbacks"
	"github.com/firmaflow/firmaflow/config"
	"github.com/firmaflow/firmaflow/connect"
	"github.com/firmaflow/firmaflow/docstore"
	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/routing"
	"github.com/firmaflow/firmaflow/signing"
	"github.com/firmaflow/firmaflow/telemetry"
	"github.com/firmaflow/firmaflow/webhookbridge"
	"github.com/firmaflow/firmaflow/workflows"
)

// Dial connects to Temporal (connect.Temporal).
func Dial(ctx context.Context, cfg config.Config, log *slog.Logger, dialOptions ...grpc.DialOption) (client.Client, error) {
	return connect.Temporal(ctx, cfg, log, dialOptions...)
}

// EnsureSearchAttributes registers firmaflow's Keyword search attributes
// that the namespace lacks.
func EnsureSearchAttributes(ctx context.Context, c client.Client, namespace string) error {
	ops := c.OperatorService()
	have, err := ops.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("list search attributes: %w", err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	for _, name := range signing.SearchAttributeNames {
		if _, ok := have.GetCustomAttributes()[name]; !ok {
			missing[name] = enumspb.INDEXED_VALUE_TYPE_KEYWORD
		}
	}
	if len(missing) == 0 {
		return nil
	}
	_, err = ops.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{Namespace: namespace, SearchAttributes: missing})
	var exists *serviceerror.AlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("add search attributes: %w", err)
	}
	return nil
}

// Providers builds the configured providers, with no shared credential
// store: a credential a provider rotates stays in this process (tools,
// tests). Workers use ProvidersWith.
func Providers(cfg config.Config, log *slog.Logger) (*providers.Registry, map[string]string, error) {
	return ProvidersWith(cfg, log, nil)
}

// ProvidersWith builds the enabled providers of cfg.Providers (the
// sections their modules declared); creds (the document store) keeps
// credentials a provider rotates where every worker sees them. It returns
// the registry and each provider's webhook secret.
func ProvidersWith(cfg config.Config, log *slog.Logger, creds providers.CredentialStore) (*providers.Registry, map[string]string, error) {
	reg := providers.NewRegistry()
	secrets := map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(cfg.Providers)) {
		section, ok := cfg.Providers[name].(providers.Section)
		if !ok {
			return nil, nil, fmt.Errorf("provider %s: section %T cannot build a provider", name, cfg.Providers[name])
		}
		if !section.IsEnabled() {
			continue
		}
		built, err := section.Build(providers.Deps{
			Credentials: creds, AllowPrivateDownloads: cfg.Downloads.AllowPrivate,
			WebhookURL: cfg.Bridge.PublicURL + "/webhooks/" + name, Logger: log.With("provider", name),
		})
		if err != nil {
			return nil, nil, fmt.Errorf("provider %s: %w", name, err)
		}
		if got := built.Provider.Name(); got != name {
			return nil, nil, fmt.Errorf("provider %s: its module builds a provider named %q", name, got)
		}
		reg.Register(built.Provider, built.Webhook)
		secrets[name] = built.WebhookSecret
		if built.WebhookSecret == "" {
			log.Warn("webhook secret is empty: the bridge refuses all of the provider's webhooks", "provider", name)
		}
	}
	return reg, secrets, nil
}

// archiveOnlyStart names the providers set to land completions of
// processes firmaflow did not send (providers.ArchiveOnlyStarter).
func archiveOnlyStart(reg *providers.Registry) map[string]bool {
	out := map[string]bool{}
	for _, name := range reg.Names() {
		p, err := reg.Provider(name)
		if a, ok := p.(providers.ArchiveOnlyStarter); err == nil && ok && a.ArchiveOnlyStart() {
			out[name] = true
		}
	}
	return out
}

// NewWorker builds a worker with the SigningProcess workflow and its activities.
func NewWorker(c client.Client, cfg config.Config, reg *providers.Registry, store *docstore.Store, log *slog.Logger) (worker.Worker, error) {
	// The tracing interceptor is the client's (connect.Temporal): the SDK
	// applies a client interceptor that also intercepts workers to every
	// worker built from that client. Adding it here again doubled every
	// workflow and activity span and the trace ids in every log line.
	// Process-global and read when the process's first worker is built, so
	// it is set before worker.New.
	if cfg.Worker.WorkflowCacheSize > 0 {
		worker.SetStickyWorkflowCacheSize(cfg.Worker.WorkflowCacheSize)
	}
	w := worker.New(c, cfg.Temporal.TaskQueue, WorkerOptions(cfg.Worker))
	w.RegisterWorkflowWithOptions(workflows.SigningProcess, workflow.RegisterOptions{Name: signing.WorkflowType})
	// EventInbox only finishes inboxes started before routes replaced it.
	w.RegisterWorkflowWithOptions(workflows.EventInbox, workflow.RegisterOptions{Name: workflows.InboxWorkflowType})
	w.RegisterWorkflowWithOptions(workflows.ProcessRoute, workflow.RegisterOptions{Name: routing.RouteWorkflowType})
	w.RegisterWorkflowWithOptions(workflows.ProviderAccount, workflow.RegisterOptions{Name: routing.AccountWorkflowType})
	cb, err := callbackSettings(cfg)
	if err != nil {
		return nil, err
	}
	w.RegisterActivity(&activities.Activities{Providers: reg, Store: store, Logger: log, Temporal: c,
		Namespace: cfg.Temporal.Namespace, TaskQueue: cfg.Temporal.TaskQueue, Callbacks: cb})
	return w, nil
}

// callbackSettings configures the callback activity from cfg.
func callbackSettings(cfg config.Config) (activities.Callbacks, error) {
	cb := activities.Callbacks{Hosts: cfg.Callbacks.Hosts, AllowPrivate: cfg.Downloads.AllowPrivate, AllowHTTP: cfg.Callbacks.AllowHTTP}
	if cfg.Callbacks.Secret != "" {
		secret, err := callbacks.ParseSecret(cfg.Callbacks.Secret)
		if err != nil {
			return activities.Callbacks{}, fmt.Errorf("FIRMAFLOW_CALLBACK_SECRET: %w", err)
		}
		cb.Secret = secret
	}
	return cb, nil
}

// RunWorker runs a worker until ctx ends, then stops it gracefully (running
// activities finish or are handed back to Temporal).
func RunWorker(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	if err := cfg.CheckSecrets(config.RoleWorker); err != nil {
		return err
	}
	d, err := openDeps(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer d.Close()
	if cfg.Temporal.RegisterSearchAttributes {
		if err := EnsureSearchAttributes(ctx, d.client, cfg.Temporal.Namespace); err != nil {
			return err
		}
	}
	w, err := NewWorker(d.client, cfg, d.reg, d.store, log)
	if err != nil {
		return err
	}
	stopMetrics, err := ServeMetrics(cfg.Worker.MetricsAddr, log)
	if err != nil {
		return err
	}
	defer stopMetrics()
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	log.Info("worker running", "task_queue", cfg.Temporal.TaskQueue, "providers", d.reg.Names(), "store", d.store.URL())
	<-ctx.Done()
	log.Info("worker stopping")
	w.Stop()
	return nil
}

// NewBridge builds the webhook bridge on a Temporal client.
func NewBridge(c client.Client, cfg config.Config, reg *providers.Registry, secrets map[string]string, store *docstore.Store, log *slog.Logger) *webhookbridge.Bridge {
	opts := webhookbridge.Options{
		Providers: reg,
		Secrets:   secrets,
		Deliverer: &webhookbridge.TemporalDeliverer{Client: c, TaskQueue: cfg.Temporal.TaskQueue,
			ClaimWindow:      signing.Duration(cfg.Bridge.ClaimWindow),
			ArchiveOnlyStart: archiveOnlyStart(reg)},
		MaxSignedBodyBytes: cfg.Bridge.MaxSignedBodyBytes,
		Store:              store,
		MaxBodyBytes:       cfg.Bridge.MaxBodyBytes,
		MaxBufferedBytes:   cfg.Bridge.MaxBufferedBytes,
		Server: webhookbridge.ServerLimits{
			ReadHeaderTimeout: cfg.Bridge.ReadHeaderTimeout, ReadTimeout: cfg.Bridge.ReadTimeout,
			BodyGrace: cfg.Bridge.BodyGrace, MinBodyRate: cfg.Bridge.MinBodyRate,
			WriteTimeout: cfg.Bridge.WriteTimeout, IdleTimeout: cfg.Bridge.IdleTimeout, MaxConns: cfg.Bridge.MaxConns,
		},
		Ready: func(ctx context.Context) error {
			_, err := c.CheckHealth(ctx, &client.CheckHealthRequest{})
			return err
		},
		Logger:  log,
		Metrics: telemetry.MetricsPage(),
	}
	if cfg.Telemetry.Tracing() {
		opts.TracerProvider = otel.GetTracerProvider()
	}
	if cfg.Bridge.APIToken != "" {
		// The API starts processes only on the providers in reg (the
		// enabled ones, which the bridge serves too).
		opts.API = &webhookbridge.API{
			Client: c, Store: store, TaskQueue: cfg.Temporal.TaskQueue,
			Namespace: cfg.Temporal.Namespace, UIURL: cfg.Temporal.UIURL, Token: cfg.Bridge.APIToken,
			MaxUploadBytes: cfg.Bridge.APIMaxUploadBytes,
		}
	}
	return webhookbridge.New(opts)
}

// stagingAge is how old a staged webhook document must be before a
// starting bridge deletes it: far longer than any request takes.
const stagingAge = time.Hour

// SweepStaging deletes what webhook requests a killed bridge never
// finished left staged. A failure is logged: the leftovers are harmless.
func SweepStaging(ctx context.Context, store *docstore.Store, log *slog.Logger) {
	n, err := store.SweepStaging(ctx, stagingAge)
	if err != nil {
		log.Warn("staged webhook documents not swept", "error", err)
	}
	if n > 0 {
		log.Info("swept staged webhook documents of unfinished requests", "count", n)
	}
}

// RunBridge serves the webhook bridge until ctx ends.
func RunBridge(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	if err := cfg.CheckSecrets(config.RoleBridge); err != nil {
		return err
	}
	d, err := openDeps(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer d.Close()
	SweepStaging(ctx, d.store, log)
	log.Info("bridge listening", "addr", cfg.Bridge.Addr, "providers", d.reg.Names(), "api", cfg.Bridge.APIToken != "")
	return NewBridge(d.client, cfg, d.reg, d.secrets, d.store, log).Serve(ctx, cfg.Bridge.Addr)
}
