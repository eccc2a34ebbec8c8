package devserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"
)

// Server is a running Temporal server (the CLI's dev server or the real
// server of the scale-out profile): a child process of this one.
// It replaces testsuite.StartDevServer, which offers no hook on the child's
// exec.Cmd and waits for "something answers on the port" — so it neither
// ties the child's life to ours nor notices that the port it waited on was
// answered by another server after its own child failed to bind.
type Server struct {
	cmd      *exec.Cmd
	hostPort string
	exited   chan struct{}
	waitErr  error
	stopOnce sync.Once
	stopErr  error
}

// FrontendHostPort is the frontend's host:port.
func (s *Server) FrontendHostPort() string { return s.hostPort }

// Pid is the child's process id.
func (s *Server) Pid() int { return s.cmd.Process.Pid }

// Stop interrupts the server and waits for it to exit (killing it when it
// does not within 20 s).
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		select {
		case <-s.exited:
			return
		default:
		}
		_ = s.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-s.exited:
		case <-time.After(20 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
		var exit *exec.ExitError
		if s.waitErr != nil && !errors.As(s.waitErr, &exit) {
			s.stopErr = s.waitErr
		}
	})
	return s.stopErr
}

// PortInUseError: a port the dev server needs is taken. The dev stack
// refuses to start rather than talk to whatever listens there.
type PortInUseError struct {
	What, HostPort string
	Err            error
}

func (e *PortInUseError) Error() string {
	return fmt.Sprintf("%s port %s is already in use (another dev stack or Temporal running?): %v", e.What, e.HostPort, e.Err)
}

func (e *PortInUseError) Unwrap() error { return e.Err }

// CheckFree reports a *PortInUseError when hostPort cannot be bound now.
func CheckFree(what, hostPort string) error {
	ln, err := net.Listen("tcp", hostPort)
	if err != nil {
		return &PortInUseError{What: what, HostPort: hostPort, Err: err}
	}
	return ln.Close()
}

func freeHostPort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// Process describes a Temporal server process for StartProcess.
type Process struct {
	Bin  string
	Args []string
	// Env is the child's whole environment; nil inherits ours.
	Env []string
	// HostPort is the frontend StartProcess waits for; Namespace the one
	// its readiness check dials.
	HostPort, Namespace string
	Logs                io.Writer
	// ReadyWithin bounds the wait for the frontend (default 2 minutes).
	ReadyWithin time.Duration
	// Dial is how the readiness check dials a frontend that answers only
	// TLS, client-certificate or credentialed clients; its zero value
	// dials HostPort and Namespace in plain gRPC.
	Dial client.Options
}

// StartProcess runs a Temporal server (the CLI's start-dev or the real
// server) as our child, which dies with us, and waits until its frontend
// answers, failing as soon as the child exits.
func StartProcess(ctx context.Context, p Process) (*Server, error) {
	cmd := exec.Command(p.Bin, p.Args...)
	cmd.Env = p.Env
	cmd.Stdout, cmd.Stderr = p.Logs, p.Logs
	DieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("devserver: start %s: %w", p.Bin, err)
	}
	s := &Server{cmd: cmd, hostPort: p.HostPort, exited: make(chan struct{})}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	within := p.ReadyWithin
	if within <= 0 {
		within = 2 * time.Minute
	}
	dial := p.Dial
	if dial.HostPort == "" {
		dial.HostPort, dial.Namespace = p.HostPort, p.Namespace
	}
	if err := s.waitReady(ctx, dial, within); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

func (s *Server) waitReady(ctx context.Context, dial client.Options, within time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	var lastErr error
	for {
		select {
		case <-s.exited:
			return fmt.Errorf("devserver: Temporal server exited before it was ready: %v", s.waitErr)
		default:
		}
		c, err := client.DialContext(ctx, dial)
		if err == nil {
			c.Close()
			// Our child must still be the one answering.
			select {
			case <-s.exited:
				return fmt.Errorf("devserver: Temporal server exited before it was ready: %v", s.waitErr)
			default:
				return nil
			}
		}
		lastErr = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("devserver: Temporal server not ready on %s: %w", s.hostPort, lastErr)
		case <-s.exited:
		case <-time.After(100 * time.Millisecond):
		}
	}
}
