package simkit

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestWriteFileAtomicIsPrivateAndLeavesNoTemporaries(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "state.json")
	for _, body := range []string{`{"a":1}`, `{"a":2}`} {
		if err := WriteFileAtomic(path, []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != `{"a":2}` {
		t.Fatalf("read back %q, %v", got, err)
	}
	info, _ := os.Stat(path)
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("state file mode %v, want 0600", info.Mode().Perm())
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
}

func TestLoadStateMissingAndCorrupt(t *testing.T) {
	dir := t.TempDir()
	var v map[string]int
	if found, err := LoadState(filepath.Join(dir, "none.json"), &v); found || err != nil {
		t.Fatalf("missing state: found=%v err=%v", found, err)
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte("{"), 0o600)
	if _, err := LoadState(bad, &v); err == nil {
		t.Fatal("a corrupt state file must be an error, not an empty start")
	}
}

// TestPersisterWritesChangesAndOnClose: a change reaches the file within
// the interval, and Close writes the very last state.
func TestPersisterWritesChangesAndOnClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.json")
	var mu sync.Mutex
	n := 1
	p := StartPersister(path, 10*time.Millisecond, func() any { mu.Lock(); defer mu.Unlock(); return map[string]int{"n": n} }, nil)
	deadline := time.Now().Add(5 * time.Second)
	for {
		var got map[string]int
		if found, _ := LoadState(path, &got); found && got["n"] == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("state never written")
		}
		time.Sleep(5 * time.Millisecond)
	}
	mu.Lock()
	n = 2
	mu.Unlock()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	var got map[string]int
	if _, err := LoadState(path, &got); err != nil || got["n"] != 2 {
		t.Fatalf("final state %v, %v", got, err)
	}
}

func TestReplaySkipsStepsTakenBeforeARestart(t *testing.T) {
	var r Replay
	r.Done()
	r.Done()
	r.Resume()
	if !r.Replaying() || !r.Skip() || !r.Skip() || r.Skip() || r.Replaying() {
		t.Fatal("a replay skips exactly the steps taken")
	}
}
