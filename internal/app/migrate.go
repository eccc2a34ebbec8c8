package app

import (
	"context"
	"log/slog"

	"github.com/firmaflow/firmaflow/config"
	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/routing"
)

// MigrateRoutes registers signing processes sent before routes existed
// with their routes and accounts (routing.MigrateOpenProcesses), once.
func MigrateRoutes(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	d, err := openDeps(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer d.Close()
	accountEvents := func(name string) bool {
		p, err := d.reg.Provider(name)
		_, ok := p.(providers.AccountEvents)
		return err == nil && ok
	}
	n, err := routing.MigrateOpenProcesses(ctx, d.client, cfg.Temporal.Namespace, cfg.Temporal.TaskQueue, accountEvents)
	log.Info("routes migrated", "routes", n.Routes, "account_members", n.AccountMembers)
	return err
}
