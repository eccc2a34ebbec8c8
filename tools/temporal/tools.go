//go:build tools

// Package tools pins the Temporal CLI (dev server + UI) that the dev stack and
// the end-to-end tests build from source. It lives in its own module so the
// server's large dependency graph never leaks into firmaflow's go.mod.
package tools

import _ "github.com/temporalio/cli/cmd/temporal"
