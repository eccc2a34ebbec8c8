package app

import (
	"context"
	"log/slog"

	"github.com/firmaflow/firmaflow/config"
	"github.com/firmaflow/firmaflow/docstore"
	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/routing"
)

// MigrateRoutes registers signing processes sent before routes existed
// with their routes and accounts (routing.MigrateOpenProcesses), once.
func MigrateRoutes(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	c, err := Dial(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer c.Close()
	store, err := docstore.Open(ctx, cfg.Store.URL)
	if err != nil {
		return err
	}
	defer store.Close()
	reg, _, err := ProvidersWith(cfg, log, store)
	if err != nil {
		return err
	}
	accountEvents := func(name string) bool {
		p, err := reg.Provider(name)
		_, ok := p.(providers.AccountEvents)
		return err == nil && ok
	}
	n, err := routing.MigrateOpenProcesses(ctx, c, cfg.Temporal.Namespace, cfg.Temporal.TaskQueue, accountEvents)
	log.Info("routes migrated", "routes", n.Routes, "account_members", n.AccountMembers)
	return err
}
