package main

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// children lists the process ids whose parent is pid.
func children(pid int) []int {
	var out []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so split after ')'.
		fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(fields) > 1 && fields[1] == strconv.Itoa(pid) {
			out = append(out, child)
		}
	}
	return out
}

// alive: the process exists and is not a zombie (a dead child whose new
// parent has not reaped it yet holds no ports).
func alive(pid int) bool {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z" && fields[0] != "X"
}

// TestTemporalDiesWithASIGKILLedDevStack runs the built dev stack, kills it
// with SIGKILL (no chance to clean up) and checks that its Temporal dev
// server child does not outlive it holding the ports and the database.
func TestTemporalDiesWithASIGKILLedDevStack(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the parent-death signal is Linux only")
	}
	needsTemporal(t)
	dir := t.TempDir()
	bin := buildDevstack(t)
	cmd := startDevstack(t, bin, devstackArgs(t, dir), dir)
	kids := children(cmd.Process.Pid)
	if len(kids) == 0 {
		t.Fatal("no Temporal child found under the dev stack")
	}
	for _, k := range kids {
		t.Cleanup(func() { syscall.Kill(k, syscall.SIGKILL) }) // never leak one, whatever the outcome
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	// The parent-death signal kills at once. (Without it the child may
	// still die later, of SIGPIPE when it next writes a log line to the
	// dead parent's pipe, or never: so the bound is short.)
	killed := time.Now()
	deadline := killed.Add(3 * time.Second)
	for _, k := range kids {
		for alive(k) {
			if time.Now().After(deadline) {
				t.Fatalf("Temporal child %d outlived the SIGKILLed dev stack", k)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	t.Logf("Temporal child gone %v after the SIGKILL", time.Since(killed).Round(time.Millisecond))
}

// needsTemporal: these tests run the real dev stack, which builds the
// Temporal CLI on first use (FIRMAFLOW_TEMPORAL_CLI names a built one).
func needsTemporal(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the whole dev stack; not in -short")
	}
}

// buildDevstack builds this command once for the package's tests:
// signals reach a built binary, not one run by go run.
func buildDevstack(t *testing.T) string {
	t.Helper()
	build.once.Do(func() {
		build.dir, build.err = os.MkdirTemp("", "devstack-bin")
		if build.err != nil {
			return
		}
		cmd := exec.Command("go", "build", "-o", filepath.Join(build.dir, "devstack"), ".")
		cmd.Stderr = os.Stderr
		build.err = cmd.Run()
	})
	if build.err != nil {
		t.Fatalf("build the dev stack: %v", build.err)
	}
	return filepath.Join(build.dir, "devstack")
}

var build struct {
	once sync.Once
	dir  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if build.dir != "" {
		os.RemoveAll(build.dir)
	}
	os.Exit(code)
}

// devstackArgs gives the stack a state directory under dir and free ports.
func devstackArgs(t *testing.T, dir string, extra ...string) []string {
	t.Helper()
	return append([]string{"-state", filepath.Join(dir, "state"), "-temporal", freeAddr(t), "-ui-port", "",
		"-bridge", freeAddr(t), "-arqsign-sim", freeAddr(t), "-contractualis-sim", freeAddr(t),
		"-autosign-sim", freeAddr(t), "-cellosign-sim", freeAddr(t)}, extra...)
}

// startDevstack runs the dev stack binary and waits until it says it is up.
func startDevstack(t *testing.T, bin string, args []string, dir string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "FIRMAFLOW_DOCSTORE_URL="+filepath.Join(dir, "docs"), "FIRMAFLOW_LOG_LEVEL=warn",
		// A host whose temporal CLI talks to a cloud namespace: the stack
		// still talks plain gRPC to its own dev server.
		"TEMPORAL_API_KEY=the-hosts-cloud-key")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	up := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "dev stack is up") {
				up <- true
			}
		}
		close(up)
	}()
	select {
	case ok := <-up:
		if !ok {
			t.Fatal("the dev stack exited before it was up")
		}
	case <-time.After(10 * time.Minute): // the first run builds the Temporal CLI
		t.Fatal("the dev stack did not come up")
	}
	return cmd
}
