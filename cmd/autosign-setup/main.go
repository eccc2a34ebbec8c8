// Command autosign-setup registers the bridge as an Autosign webhook for all
// seven events ("Crear webhook") and lists the registered ones. Every
// transaction firmaflow sends also names the bridge as its
// notification_endpoint, so this is only needed for transactions created
// outside firmaflow, or to see what is registered.
//
//	go run ./cmd/autosign-setup            # list
//	go run ./cmd/autosign-setup -register  # register FIRMAFLOW_BRIDGE_PUBLIC_URL/webhooks/autosign?token=…
//	go run ./cmd/autosign-setup -code XYZ  # exchange an OAuth authorization code for a refresh token
package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strings"

	envconfig "github.com/sethvargo/go-envconfig"

	"github.com/firmaflow/firmaflow/docstore"
	"github.com/firmaflow/firmaflow/internal/modules"
	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/providers/autosign"
)

func main() {
	register := flag.Bool("register", false, "register the bridge for all events")
	code := flag.String("code", "", "exchange this OAuth authorization code and print the refresh token")
	flag.Parse()
	if err := run(context.Background(), *register, *code); err != nil {
		fmt.Fprintln(os.Stderr, "autosign-setup:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, register bool, code string) error {
	cfg, err := modules.LoadFrom(ctx, envconfig.OsLookuper(), []providers.Module{autosign.Module})
	if err != nil {
		return err
	}
	a := cfg.Providers[autosign.Name].(*autosign.Config)
	// The workers' document store holds the refresh token Autosign rotates:
	// this tool refreshes with it too, or its refresh would void theirs.
	store, err := docstore.Open(ctx, cfg.Store.URL)
	if err != nil {
		return err
	}
	defer store.Close()
	c, err := autosign.New(autosign.Options{BaseURL: a.BaseURL, ClientID: a.ClientID, ClientSecret: a.ClientSecret,
		RefreshToken: a.RefreshToken, Credentials: store})
	if err != nil {
		return err
	}
	if code != "" {
		tok, err := c.ExchangeCode(ctx, code)
		if err != nil {
			return err
		}
		fmt.Println("AUTOSIGN_REFRESH_TOKEN=" + tok.RefreshToken)
		return nil
	}
	if register {
		endpoint := strings.TrimRight(cfg.Bridge.PublicURL, "/") + "/webhooks/autosign?token=" + url.QueryEscape(a.WebhookSecret)
		id, err := c.RegisterWebhook(ctx, "firmaflow", endpoint)
		if err != nil {
			return err
		}
		fmt.Println("registered webhook", id)
	}
	list, err := c.ListWebhooks(ctx)
	if err != nil {
		return err
	}
	for _, w := range list.Items {
		fmt.Printf("%s\t%s\tenabled=%v\t%s\n", w.ID, w.Name, w.Enabled, strings.Join(w.Events, ","))
	}
	return nil
}
