package devserver

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
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
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		return "", err
	}
	log.Info("building from tools/temporal (first time only, a few minutes)", "binary", t.name)
	start := time.Now()
	tmp := fmt.Sprintf("%s.tmp-%d", bin, os.Getpid())
	cmd := exec.CommandContext(ctx, "go", "build", "-o", tmp, t.pkg)
	cmd.Dir = toolsDir
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("devserver: build %s: %w", t.name, err)
	}
	// Rename is atomic: a concurrent builder never sees half a binary.
	if err := os.Rename(tmp, bin); err != nil {
		return "", err
	}
	log.Info("built", "binary", t.name, "path", bin, "took", time.Since(start).Round(time.Second))
	return bin, nil
}
