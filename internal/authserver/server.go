// Package authserver runs the real Temporal server (the pinned binary,
// devserver.ServerBinary) on in-memory SQLite with its frontend behind TLS —
// optionally requiring client certificates (mTLS) and optionally with the
// JWT authorizer — for tests of how firmaflow connects: the dev server
// cannot do either. Everything it needs (certificates, signed tokens) is
// made by the test.
package authserver

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/firmaflow/firmaflow/internal/devserver"
)

// Options for Start.
type Options struct {
	// Dir receives the server's configuration, certificates and log.
	Dir string
	// CA issues the server's certificate and is the only CA whose client
	// certificates the server accepts.
	CA *CA
	// RequireClientCert turns on mTLS: no client certificate, no connection.
	RequireClientCert bool
	// JWKSURL, when set, turns on the JWT authorizer (default claim mapper,
	// "permissions" claim) with the keys served there.
	JWKSURL string
	// AdminAPIKey is a token with temporal-system:admin, for registering the
	// namespace when JWTs are required.
	AdminAPIKey string
	// Namespace is registered before Start returns.
	Namespace string
	// FirstPort and LastPort bound the ports the server binds (membership
	// ports must be at most 32767).
	FirstPort, LastPort int
}

// Server is a running real server.
type Server struct {
	*devserver.Server
	// Address is the frontend's host:port.
	Address string
	// CAFile is the CA's certificate, for clients to trust the server.
	CAFile string
	// LogFile holds the server's output.
	LogFile string
	logs    *os.File
}

// Stop stops the server and closes its log.
func (s *Server) Stop() error {
	err := s.Server.Stop()
	s.logs.Close()
	return err
}

// Start writes the configuration, starts the server, waits until it
// answers and registers the namespace. The server dies with this process.
func Start(ctx context.Context, log *slog.Logger, opts Options) (*Server, error) {
	bin, err := devserver.ServerBinary(ctx, log)
	if err != nil {
		return nil, err
	}
	ports, err := freePorts(opts.FirstPort, opts.LastPort, 9)
	if err != nil {
		return nil, err
	}
	serverPair, err := opts.CA.Server()
	if err != nil {
		return nil, err
	}
	// The server's own system worker is a client of the frontend too.
	workerPair, err := opts.CA.Client("temporal-system-worker")
	if err != nil {
		return nil, err
	}
	v := values{Options: opts, Ports: ports, CAFile: filepath.Join(opts.Dir, "ca.pem")}
	if err := os.WriteFile(v.CAFile, opts.CA.PEM, 0o600); err != nil {
		return nil, err
	}
	if v.ServerCert, v.ServerKey, err = serverPair.Write(opts.Dir, "server"); err != nil {
		return nil, err
	}
	if v.WorkerCert, v.WorkerKey, err = workerPair.Write(opts.Dir, "system-worker"); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(opts.Dir, "config"), 0o700); err != nil {
		return nil, err
	}
	f, err := os.Create(filepath.Join(opts.Dir, "config", "development.yaml"))
	if err != nil {
		return nil, err
	}
	err = serverConfig.Execute(f, v)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("authserver: write configuration: %w", err)
	}

	logFile := filepath.Join(opts.Dir, "server.log")
	logs, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	// The system worker's certificate also proves the server answers; with
	// JWTs, GetSystemInfo (what a dial calls) needs no token.
	admin := v.adminOptions(workerPair, opts.AdminAPIKey)
	args := []string{"--root", opts.Dir, "--config", "config", "--env", "development", "--allow-no-auth", "start"}
	if opts.JWKSURL != "" {
		// The system worker would call the frontend without a token, be
		// refused and stop the server; nothing here needs it.
		args = append(args, "--service", "frontend", "--service", "history", "--service", "matching")
	}
	srv, err := devserver.StartProcess(ctx, devserver.Process{Bin: bin, Args: args, HostPort: admin.HostPort, Logs: logs, Dial: admin})
	if err != nil {
		logs.Close()
		return nil, fmt.Errorf("%w (server log: %s)", err, logFile)
	}
	s := &Server{Server: srv, Address: admin.HostPort, CAFile: v.CAFile, LogFile: logFile, logs: logs}
	if err := registerNamespace(ctx, admin, opts.Namespace); err != nil {
		s.Stop()
		return nil, fmt.Errorf("authserver: namespace %s: %w (server log: %s)", opts.Namespace, err, logFile)
	}
	return s, nil
}

// registerNamespace registers ns and waits until the frontend serves it
// (its namespace registry refreshes every few seconds).
func registerNamespace(ctx context.Context, admin client.Options, ns string) error {
	nc, err := client.NewNamespaceClient(admin)
	if err != nil {
		return err
	}
	defer nc.Close()
	err = nc.Register(ctx, &workflowservice.RegisterNamespaceRequest{
		Namespace: ns, WorkflowExecutionRetentionPeriod: durationpb.New(24 * time.Hour),
	})
	if err != nil {
		return fmt.Errorf("register: %w", err)
	}
	admin.Namespace = ns
	c, err := client.DialContext(ctx, admin)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		_, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: ns})
		var notFound *serviceerror.NamespaceNotFound
		if !errors.As(err, &notFound) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not served yet: %w", err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

type values struct {
	Options
	Ports                 []int
	CAFile                string
	ServerCert, ServerKey string
	WorkerCert, WorkerKey string
}

func (v values) adminOptions(pair KeyPair, apiKey string) client.Options {
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(v.CA.PEM)
	conf := &tls.Config{RootCAs: roots, ServerName: "localhost"}
	if v.RequireClientCert {
		cert, _ := tls.X509KeyPair(pair.Cert, pair.Key) // made above: cannot fail
		conf.Certificates = []tls.Certificate{cert}
	}
	opts := client.Options{HostPort: net.JoinHostPort("127.0.0.1", strconv.Itoa(v.Ports[0])),
		ConnectionOptions: client.ConnectionOptions{TLS: conf}}
	if apiKey != "" {
		opts.Credentials = client.NewAPIKeyStaticCredentials(apiKey)
	}
	return opts
}

// freePorts finds n ports in [first, last] that can be bound now.
func freePorts(first, last, n int) ([]int, error) {
	var ports []int
	for p := first; p <= last && len(ports) < n; p++ {
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			continue
		}
		ln.Close()
		ports = append(ports, p)
	}
	if len(ports) < n {
		return nil, fmt.Errorf("authserver: %d free ports wanted in %d-%d, found %d", n, first, last, len(ports))
	}
	return ports, nil
}
