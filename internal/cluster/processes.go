package cluster

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/firmaflow/firmaflow/internal/devserver"
)

// BuildBinaries builds the worker and the bridge into dir (tests and this
// profile run the built binaries, so they can be killed by signal).
func BuildBinaries(ctx context.Context, dir string) (worker, bridge string, err error) {
	root, err := devserver.RepoRoot()
	if err != nil {
		return "", "", err
	}
	worker, bridge = filepath.Join(dir, "worker"), filepath.Join(dir, "webhookbridge")
	for bin, pkg := range map[string]string{worker: "./worker", bridge: "./cmd/webhookbridge"} {
		cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, pkg)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", "", fmt.Errorf("cluster: build %s: %w: %s", pkg, err, out)
		}
	}
	return worker, bridge, nil
}

// process is one child of ours: a worker or bridge binary, or PostgreSQL.
type process struct {
	name   string
	cmd    *exec.Cmd
	exited chan struct{}
	log    *os.File // nil when the caller owns the output
}

func startBinary(name, bin string, env []string, logPath string) (*process, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	devserver.DieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("cluster: start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, exited: make(chan struct{}), log: logFile}
	go func() { cmd.Wait(); logFile.Close(); close(p.exited) }()
	return p, nil
}

// signal sends sig and waits for the exit (SIGKILL after 30 s).
func (p *process) signal(sig syscall.Signal) {
	if p == nil {
		return
	}
	select {
	case <-p.exited:
		return
	default:
	}
	p.cmd.Process.Signal(sig)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
	}
}

// waitHTTP waits until url answers 200, failing when p exits first.
func (p *process) waitHTTP(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.exited:
			return fmt.Errorf("cluster: %s exited before it was ready (see its log)", p.name)
		case <-ctx.Done():
			return fmt.Errorf("cluster: %s not ready at %s: %w", p.name, url, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}
