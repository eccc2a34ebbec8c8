package app

import (
	"context"
	"log/slog"

	"go.temporal.io/sdk/client"

	"github.com/firmaflow/firmaflow/config"
	"github.com/firmaflow/firmaflow/docstore"
	"github.com/firmaflow/firmaflow/providers"
)

// deps are what the worker, the bridge and the migration each open: a
// Temporal client, the document store and the enabled providers.
type deps struct {
	client  client.Client
	store   *docstore.Store
	reg     *providers.Registry
	secrets map[string]string
}

// openDeps opens them; Close releases what was opened.
func openDeps(ctx context.Context, cfg config.Config, log *slog.Logger) (_ *deps, err error) {
	d := &deps{}
	defer func() {
		if err != nil {
			d.Close()
		}
	}()
	if d.client, err = Dial(ctx, cfg, log); err != nil {
		return nil, err
	}
	if d.store, err = docstore.Open(ctx, cfg.Store.URL); err != nil {
		return nil, err
	}
	if d.reg, d.secrets, err = ProvidersWith(cfg, log, d.store); err != nil {
		return nil, err
	}
	return d, nil
}

// Close releases the store and the client.
func (d *deps) Close() {
	if d.store != nil {
		d.store.Close()
	}
	if d.client != nil {
		d.client.Close()
	}
}
