// Package devserver provides the embedded Temporal: the Temporal CLI dev
// server (SQLite, with the UI), built from source from the pinned tools
// module in tools/temporal — never a downloaded binary. The build takes a few
// minutes once; the binary is cached under bin/ keyed by the tools module's
// go.sum, so a change of pin rebuilds it.
package devserver

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/firmaflow/firmaflow/signing"
)

// EnvBinary names an existing Temporal CLI binary to use instead of building one.
const EnvBinary = "FIRMAFLOW_TEMPORAL_CLI"

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
	if p := os.Getenv(EnvBinary); p != "" {
		return p, nil
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	toolsDir := filepath.Join(root, "tools", "temporal")
	sum, err := os.ReadFile(filepath.Join(toolsDir, "go.sum"))
	if err != nil {
		return "", fmt.Errorf("devserver: %w", err)
	}
	digest := sha256.Sum256(sum)
	bin := filepath.Join(root, "bin", "temporal-"+hex.EncodeToString(digest[:])[:12])
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		return "", err
	}
	log.Info("building the Temporal CLI dev server from tools/temporal (first time only, a few minutes)")
	start := time.Now()
	tmp := fmt.Sprintf("%s.tmp-%d", bin, os.Getpid())
	cmd := exec.CommandContext(ctx, "go", "build", "-o", tmp, "github.com/temporalio/cli/cmd/temporal")
	cmd.Dir = toolsDir
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("devserver: build Temporal CLI: %w", err)
	}
	// Rename is atomic: a concurrent builder never sees half a binary.
	if err := os.Rename(tmp, bin); err != nil {
		return "", err
	}
	log.Info("Temporal CLI built", "path", bin, "took", time.Since(start).Round(time.Second))
	return bin, nil
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
	return startProcess(ctx, bin, args, hostPort, ns, logs)
}
