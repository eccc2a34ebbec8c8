package devserver

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// Environment variables naming existing binaries to use instead of building them.
const (
	EnvBinary        = "FIRMAFLOW_TEMPORAL_CLI"
	EnvServerBinary  = "FIRMAFLOW_TEMPORAL_SERVER"
	EnvSQLToolBinary = "FIRMAFLOW_TEMPORAL_SQL_TOOL"
)

// tool is one binary the pinned tools module builds.
type tool struct {
	name, pkg, env string
}

var (
	cliTool     = tool{"temporal", "github.com/temporalio/cli/cmd/temporal", EnvBinary}
	serverTool  = tool{"temporal-server", "go.temporal.io/server/cmd/server", EnvServerBinary}
	sqlToolTool = tool{"temporal-sql-tool", "go.temporal.io/server/cmd/tools/sql", EnvSQLToolBinary}
)

// ServerBinary returns the path of the real Temporal server (all services),
// the version inside the pinned CLI, building it if needed.
func ServerBinary(ctx context.Context, log *slog.Logger) (string, error) {
	return buildTool(ctx, log, serverTool)
}

// SQLToolBinary returns the path of the server's SQL schema tool
// (temporal-sql-tool), building it if needed.
func SQLToolBinary(ctx context.Context, log *slog.Logger) (string, error) {
	return buildTool(ctx, log, sqlToolTool)
}

// ToolsDir is the pinned tools module (tools/temporal) of the repository.
func ToolsDir() (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "tools", "temporal"), nil
}

// buildTimeout bounds one build of a tool. A first build takes about four
// minutes on two quiet cores, several times that on busy ones.
const buildTimeout = 30 * time.Minute

// buildTool builds t from the tools module into bin/<name>-<go.sum digest>
// unless that file exists or t's environment variable names a binary.
func buildTool(ctx context.Context, log *slog.Logger, t tool) (string, error) {
	if p := os.Getenv(t.env); p != "" {
		return p, nil
	}
	toolsDir, err := ToolsDir()
	if err != nil {
		return "", err
	}
	sum, err := os.ReadFile(filepath.Join(toolsDir, "go.sum"))
	if err != nil {
		return "", fmt.Errorf("devserver: %w", err)
	}
	digest := sha256.Sum256(sum)
	bin := filepath.Join(filepath.Dir(filepath.Dir(toolsDir)), "bin", t.name+"-"+hex.EncodeToString(digest[:])[:12])
	return buildOnce(ctx, log, bin, toolsDir, t.pkg)
}

// buildOnce builds pkg of the module in dir into bin, unless bin exists.
//
// The build is a one-time cost every later caller shares, so it does not
// run on the caller's deadline: a caller that gives a server three
// minutes to start must not kill the first build on a busy machine (it
// did, in CI on a fresh machine). Only the caller's cancellation stops it.
// Callers in other processes (test packages run in parallel) wait for one
// build instead of each compiling the same binary on the same cores.
func buildOnce(ctx context.Context, log *slog.Logger, bin, dir, pkg string) (string, error) {
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		return "", err
	}
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), buildTimeout)
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		if errors.Is(ctx.Err(), context.Canceled) {
			cancel()
		}
	})
	defer stop()

	unlock, err := lockFile(bctx, bin+".lock")
	if err != nil {
		return "", fmt.Errorf("devserver: wait for the build of %s: %w", filepath.Base(bin), err)
	}
	defer unlock()
	if _, err := os.Stat(bin); err == nil {
		return bin, nil // another process built it while we waited
	}
	name := filepath.Base(bin)
	log.Info("building from tools/temporal (first time only, a few minutes)", "binary", name)
	start := time.Now()
	tmp := fmt.Sprintf("%s.tmp-%d", bin, os.Getpid())
	cmd := exec.CommandContext(bctx, "go", "build", "-o", tmp, pkg)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("devserver: build %s: %w", name, err)
	}
	// Rename is atomic: a concurrent builder never sees half a binary.
	if err := os.Rename(tmp, bin); err != nil {
		return "", err
	}
	log.Info("built", "binary", name, "path", bin, "took", time.Since(start).Round(time.Second))
	return bin, nil
}
