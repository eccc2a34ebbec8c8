package devserver

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// tinyModule writes a module with one main package to build.
func tinyModule(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go command")
	}
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/tiny\n\ngo 1.22\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644))
	return dir
}

// countingHandler counts the "building" records: one per build run.
type countingHandler struct {
	mu     sync.Mutex
	builds int
}

func (h *countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *countingHandler) WithGroup(string) slog.Handler            { return h }
func (h *countingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if r.Message == "building from tools/temporal (first time only, a few minutes)" {
		h.builds++
	}
	return nil
}

// A caller's deadline is for its own work, not for a build every later
// caller shares: in CI on a fresh, busy machine a test that gave the real
// server three minutes to start killed its first build.
func TestBuildOutlivesTheCallersDeadline(t *testing.T) {
	dir := tinyModule(t)
	bin := filepath.Join(t.TempDir(), "bin", "tiny")
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	got, err := buildOnce(ctx, slog.New(slog.DiscardHandler), bin, dir, ".")
	require.NoError(t, err)
	require.Equal(t, bin, got)
	require.FileExists(t, bin)
}

// Cancelling (not a deadline) still stops a build.
func TestCancelledCallerStopsTheBuild(t *testing.T) {
	dir := tinyModule(t)
	bin := filepath.Join(t.TempDir(), "bin", "tiny")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := buildOnce(ctx, slog.New(slog.DiscardHandler), bin, dir, ".")
	require.Error(t, err)
	require.NoFileExists(t, bin)
}

// Test packages run in parallel and several need the same binary: one
// builds, the others wait for it instead of compiling it again on the
// same cores.
func TestConcurrentCallersBuildOnce(t *testing.T) {
	dir := tinyModule(t)
	bin := filepath.Join(t.TempDir(), "bin", "tiny")
	h := &countingHandler{}
	log := slog.New(h)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = buildOnce(context.Background(), log, bin, dir, ".")
		}()
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	require.FileExists(t, bin)
	require.Equal(t, 1, h.builds, "builds run")
}
