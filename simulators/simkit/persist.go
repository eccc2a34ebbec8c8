package simkit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// WriteFileAtomic replaces path with data so that a reader (or a restart
// after a crash) sees the old file or the new one, never half of either:
// a temporary file in the same directory, synced, then renamed. Mode 0600:
// the state holds documents and credentials of the simulated accounts.
func WriteFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("simkit: state directory: %w", err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("simkit: write state: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op once renamed
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("simkit: write state: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("simkit: write state: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("simkit: write state: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("simkit: write state: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("simkit: write state: %w", err)
	}
	return nil
}

// LoadState decodes path into v. It reports false, with no error, when
// there is no state yet (a first start).
func LoadState(path string, v any) (bool, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("simkit: read state: %w", err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, fmt.Errorf("simkit: state %s is corrupt: %w", path, err)
	}
	return true, nil
}

// Persister writes a simulator's state to a file whenever it changes: it
// takes a snapshot every Interval and writes it when it differs from the
// last one written (so a change is on disk within Interval, and an idle
// simulator writes nothing), and once more on Close.
type Persister struct {
	path     string
	snapshot func() any
	log      *slog.Logger
	stop     chan struct{}
	done     chan struct{}
	mu       sync.Mutex
	last     []byte
	once     sync.Once
}

// DefaultPersistInterval bounds what a crash (SIGKILL) can lose.
const DefaultPersistInterval = 100 * time.Millisecond

// StartPersister starts writing snapshot() to path. snapshot is called
// from the persister's goroutine and must lock what it reads.
func StartPersister(path string, interval time.Duration, snapshot func() any, log *slog.Logger) *Persister {
	if interval <= 0 {
		interval = DefaultPersistInterval
	}
	if log == nil {
		log = slog.Default()
	}
	p := &Persister{path: path, snapshot: snapshot, log: log, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				if err := p.Save(); err != nil {
					p.log.Error("simulator state not saved", "path", path, "error", err)
				}
			}
		}
	}()
	return p
}

// Save writes the current snapshot if it changed.
func (p *Persister) Save() error {
	raw, err := json.Marshal(p.snapshot())
	if err != nil {
		return fmt.Errorf("simkit: encode state: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if bytes.Equal(raw, p.last) {
		return nil
	}
	if err := WriteFileAtomic(p.path, raw); err != nil {
		return err
	}
	p.last = raw
	return nil
}

// Close stops the periodic writes and writes the final state.
func (p *Persister) Close() error {
	if p == nil {
		return nil
	}
	var err error
	p.once.Do(func() {
		close(p.stop)
		<-p.done
		err = p.Save()
	})
	return err
}

// Replay lets a scenario that is played again after a restart skip the
// steps it already took: a scenario goroutine calls Skip before each step
// (true: done before the restart, go on) and Done after it. Steps are
// counted, so the scenario must take its steps in the same order when
// replayed, which the simulators' scenarios do.
type Replay struct {
	// Steps is how many steps the scenario has taken.
	Steps int `json:"steps"`
	skip  int
}

// Resume marks the steps taken so far as to be skipped by a replay.
func (r *Replay) Resume() { r.skip = r.Steps }

// Skip reports whether the next step was taken before the restart.
func (r *Replay) Skip() bool {
	if r.skip > 0 {
		r.skip--
		return true
	}
	return false
}

// Replaying reports whether steps remain to be skipped (a wait between two
// steps taken before the restart is skipped too).
func (r *Replay) Replaying() bool { return r.skip > 0 }

// Done counts a step taken.
func (r *Replay) Done() { r.Steps++ }

// Frozen encodes v now. A snapshot function returns it while it still
// holds the simulator's lock, so the live maps and slices v shares are
// read under that lock and not later, when the persister encodes.
func Frozen(v any) json.RawMessage {
	raw, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("simkit: simulator state does not encode: %v", err))
	}
	return raw
}

// ResumeAt marks the next n steps as taken (a part of a scenario resumed
// on its own).
func (r *Replay) ResumeAt(n int) { r.skip = max(n, 0) }

// Resume is what a simulator's Persist does: it loads the state a previous
// run left in path (restore gets it, when there is one) and starts a
// Persister that writes snapshot from then on.
func Resume[S any](path string, restore func(S), snapshot func() any, log *slog.Logger) (*Persister, error) {
	var st S
	found, err := LoadState(path, &st)
	if err != nil {
		return nil, err
	}
	if found {
		restore(st)
	}
	return StartPersister(path, 0, snapshot, log), nil
}
