//go:build tools

// Package tools pins the Temporal binaries that firmaflow builds from source,
// never downloads: the CLI (dev server + UI) for the embedded default, and the
// real server and its SQL schema tool for the scale-out profile. It lives in
// its own module so the server's large dependency graph never leaks into
// firmaflow's go.mod; the server version is the one inside the pinned CLI.
package tools

import (
	_ "github.com/temporalio/cli/cmd/temporal"
	_ "go.temporal.io/server/cmd/server"
	_ "go.temporal.io/server/cmd/tools/sql"
)
