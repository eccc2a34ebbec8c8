// Command temporal-binaries builds the pinned Temporal binaries from
// tools/temporal into bin/ (once; later runs find them there) and prints
// their paths: the CLI with its dev server and UI, the real server, and
// its SQL schema tool. The test script runs it first, so that the test
// packages, which run in parallel, find the binaries built.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/firmaflow/firmaflow/internal/devserver"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	for _, build := range []func(context.Context, *slog.Logger) (string, error){
		devserver.Binary, devserver.ServerBinary, devserver.SQLToolBinary,
	} {
		path, err := build(ctx, log)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(path)
	}
}
