// Package devserver provides the embedded Temporal: the Temporal CLI dev
// server (SQLite, with the UI), built from source from the pinned tools
// module in tools/temporal — never a downloaded binary. The build takes a few
// minutes once; binaries are cached under bin/ keyed by the tools module's
// go.sum, so a change of pin rebuilds them. The same module pins the real
// server and its SQL tool (ServerBinary, SQLToolBinary) for the scale-out
// profile.
package devserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"

	"github.com/firmaflow/firmaflow/signing"
)

// RepoRoot finds the repository root (the directory holding tools/temporal)
// from the working directory upwards.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "tools", "temporal", "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("devserver: tools/temporal/go.mod not found above the working directory")
		}
		dir = parent
	}
}

// Binary returns the path of the Temporal CLI, building it if needed.
func Binary(ctx context.Context, log *slog.Logger) (string, error) {
	return buildTool(ctx, log, cliTool)
}

// Options for Start.
type Options struct {
	// HostPort to bind the frontend to; empty picks a free port.
	HostPort string
	// UIPort for the web UI; empty disables the UI.
	UIPort string
	// DBFile keeps state across restarts; empty keeps it in memory.
	DBFile    string
	Namespace string
	Logs      io.Writer
}

// Start builds (if needed) and starts a dev server with firmaflow's search
// attributes registered. It refuses, naming the port, when the frontend or
// UI port is taken, rather than use whatever listens there; the server dies
// with this process (Linux), even when this process is SIGKILLed.
func Start(ctx context.Context, log *slog.Logger, opts Options) (*Server, error) {
	bin, err := Binary(ctx, log)
	if err != nil {
		return nil, err
	}
	hostPort := opts.HostPort
	if hostPort == "" {
		if hostPort, err = freeHostPort(); err != nil {
			return nil, fmt.Errorf("devserver: pick a port: %w", err)
		}
	}
	host, port, err := net.SplitHostPort(hostPort)
	if err != nil {
		return nil, fmt.Errorf("devserver: invalid host:port %q: %w", hostPort, err)
	}
	if err := CheckFree("Temporal frontend", hostPort); err != nil {
		return nil, err
	}
	if opts.UIPort != "" {
		if err := CheckFree("Temporal UI", net.JoinHostPort(host, opts.UIPort)); err != nil {
			return nil, err
		}
	}
	logs := opts.Logs
	if logs == nil {
		logs = io.Discard
	}
	ns := opts.Namespace
	if ns == "" {
		ns = "default"
	}
	args := []string{"server", "start-dev", "--ip", host, "--port", port, "--namespace", ns,
		"--dynamic-config-value", "frontend.enableServerVersionCheck=false", "--log-level", "warn"}
	if opts.UIPort == "" {
		args = append(args, "--headless")
	} else {
		args = append(args, "--ui-port", opts.UIPort)
	}
	if opts.DBFile != "" {
		args = append(args, "--db-filename", opts.DBFile)
	}
	for _, name := range signing.SearchAttributeNames {
		args = append(args, "--search-attribute", name+"=Keyword")
	}
	log.Debug("starting the Temporal dev server", "path", bin, "args", args)
	return StartProcess(ctx, Process{Bin: bin, Args: args, HostPort: hostPort, Namespace: ns, Logs: logs})
}
