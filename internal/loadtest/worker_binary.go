package loadtest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// startWorkerBinary runs the worker binary with env (the dev stack's
// WorkerEnv and the caller's additions), its metrics page on metricsAddr
// (port 0: a free port, picked here), and waits until the page answers.
// stop ends it with SIGTERM, as a deployment would, then waits for it.
func startWorkerBinary(ctx context.Context, bin string, env []string, metricsAddr string, log *slog.Logger) (url string, stop func(), err error) {
	if host, port, err := net.SplitHostPort(metricsAddr); err == nil && port == "0" {
		ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return "", nil, fmt.Errorf("loadtest: worker metrics port: %w", err)
		}
		metricsAddr = ln.Addr().String()
		ln.Close()
	}
	cmd := exec.Command(bin)
	// Later entries win: the caller's over the stack's over this process's.
	cmd.Env = append(append(os.Environ(), env...), "FIRMAFLOW_WORKER_METRICS_ADDR="+metricsAddr)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("loadtest: start worker %s: %w", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop = func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	}
	url = "http://" + metricsAddr + "/metrics"
	deadline := time.Now().Add(2 * time.Minute)
	for {
		select {
		case err := <-exited:
			return "", nil, fmt.Errorf("loadtest: worker %s exited at start: %w", bin, errors.Join(err, errors.New("see its log above")))
		case <-ctx.Done():
			stop()
			return "", nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				log.Info("worker binary running", "pid", cmd.Process.Pid, "metrics", url)
				return url, stop, nil
			}
		}
		if time.Now().After(deadline) {
			stop()
			return "", nil, fmt.Errorf("loadtest: worker %s: no metrics page at %s within 2 minutes", bin, url)
		}
	}
}
