package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"time"

	"github.com/firmaflow/firmaflow/internal/devserver"
)

// EnvPostgresBin names the directory of PostgreSQL's server binaries
// (initdb, postgres, pg_isready) when they are not found by themselves.
const EnvPostgresBin = "FIRMAFLOW_POSTGRES_BIN"

// dbUser owns Temporal's databases; the local server trusts loopback
// connections, so the password only has to agree with the server config.
const (
	dbUser     = "temporal"
	dbPassword = "temporal"
)

// postgres is a PostgreSQL server of our own (own data directory and
// port, never the system's cluster), our child process.
type postgres struct {
	bin, dir string
	port     int
	logs     io.Writer
	cred     *syscall.Credential // set when we are root: PostgreSQL refuses to run as root
	proc     *process
}

// postgresBin finds PostgreSQL's binaries: EnvPostgresBin, the newest
// /usr/lib/postgresql/<v>/bin (Debian, Ubuntu), or the PATH.
func postgresBin() (string, error) {
	if dir := os.Getenv(EnvPostgresBin); dir != "" {
		return dir, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", fmt.Errorf("cluster: PostgreSQL's initdb not found (install PostgreSQL or set %s)", EnvPostgresBin)
}

func version(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// newPostgres prepares dir as a PostgreSQL data directory (initdb once);
// fresh reports that it was just created.
func newPostgres(ctx context.Context, dir string, port int, logs io.Writer) (_ *postgres, fresh bool, err error) {
	bin, err := postgresBin()
	if err != nil {
		return nil, false, err
	}
	p := &postgres{bin: bin, dir: dir, port: port, logs: logs}
	if os.Geteuid() == 0 {
		if p.cred, err = postgresUser(); err != nil {
			return nil, false, err
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); err == nil {
		return p, false, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, err
	}
	if p.cred != nil {
		// Its parent must be passable by the postgres user.
		if err := os.Chmod(filepath.Dir(dir), 0o755); err != nil {
			return nil, false, err
		}
		if err := os.Chown(dir, int(p.cred.Uid), int(p.cred.Gid)); err != nil {
			return nil, false, err
		}
	}
	cmd := p.command(ctx, "initdb", "-D", dir, "-U", dbUser, "--auth=trust", "-E", "UTF8", "--no-sync")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, false, fmt.Errorf("cluster: initdb: %w: %s", err, out)
	}
	return p, true, nil
}

// postgresUser is the credential of the system's postgres user.
func postgresUser() (*syscall.Credential, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("cluster: running as root, PostgreSQL needs the postgres user: %w", err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func (p *postgres) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(p.bin, name), args...)
	if p.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	}
	return cmd
}

// start runs the server (loopback only, its socket in its data directory)
// and waits until it accepts connections.
func (p *postgres) start(ctx context.Context) error {
	// fsync off: a development profile, which survives its server's crash
	// (what is written sits in the OS's cache) but not the machine's; it
	// keeps the tests' disk writes cheap. Commits stay synchronous: an
	// asynchronous commit is lost when the server crashes, and Temporal
	// must never lose what it was told is written.
	cmd := exec.Command(filepath.Join(p.bin, "postgres"), "-D", p.dir, "-p", strconv.Itoa(p.port),
		"-h", "127.0.0.1", "-k", p.dir, "-c", "fsync=off", "-c", "max_connections=300")
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	devserver.DieWithParent(cmd)
	if p.cred != nil {
		cmd.SysProcAttr.Credential = p.cred
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("cluster: start PostgreSQL: %w", err)
	}
	p.proc = &process{name: "PostgreSQL", cmd: cmd, exited: make(chan struct{})}
	go func() { cmd.Wait(); close(p.proc.exited) }()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for {
		ready := p.command(ctx, "pg_isready", "-q", "-h", "127.0.0.1", "-p", strconv.Itoa(p.port), "-U", dbUser, "-d", "postgres")
		if ready.Run() == nil {
			return nil
		}
		select {
		case <-p.proc.exited:
			return errors.New("cluster: PostgreSQL exited before it was ready (see its log)")
		case <-ctx.Done():
			p.stop(syscall.SIGQUIT)
			return fmt.Errorf("cluster: PostgreSQL not ready on port %d: %w", p.port, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// stop shuts the server down: SIGINT is the fast shutdown, SIGQUIT the
// immediate one (a crash: the next start recovers from the WAL).
func (p *postgres) stop(sig syscall.Signal) { p.proc.signal(sig) }
