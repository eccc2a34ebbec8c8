package cellosignsim

import (
	"fmt"

	"github.com/firmaflow/firmaflow/providers/cellosign"
	"github.com/firmaflow/firmaflow/simulators/simkit"
)

// state is what the simulator keeps on disk (see Persist).
type state struct {
	// Ledger is the ground truth the tests compare with; it survives restarts too.
	Ledger    []simkit.ProcessLedger `json:"ledger"`
	Processes []procState            `json:"processes"`
}

type procState struct {
	ID         string                `json:"id"`
	Reference  string                `json:"reference"`
	Name       string                `json:"name"`
	Scenario   string                `json:"scenario"`
	Kind       string                `json:"kind"`
	Status     string                `json:"status"`
	Outside    bool                  `json:"outside"`
	Recipients []cellosign.Recipient `json:"recipients"`
	Submitted  int                   `json:"submitted"`
	PDF        []byte                `json:"pdf"`
	Timestamp  string                `json:"timestamp"`
	Counts     Counts                `json:"counts"`
	Delivered  int                   `json:"delivered"`
	SignedSHA  string                `json:"signed_sha"`
	Finished   bool                  `json:"finished"`
}

// Persist keeps the simulator's state in path: it loads what a previous
// run left there, carries on every scenario that had not finished
// (remaining submissions, then the archive), and from then on writes every
// change. Call it before serving.
func (s *Simulator) Persist(path string) error {
	p, err := simkit.Resume(path, s.restore, s.snapshot, s.opts.Logger)
	if err != nil {
		return fmt.Errorf("cellosign sim: %w", err)
	}
	s.mu.Lock()
	s.persister = p
	s.mu.Unlock()
	return nil
}

func (s *Simulator) snapshot() any {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := state{Processes: make([]procState, 0, len(s.procs))}
	st.Ledger = s.ledger.Snapshot()
	for _, p := range s.procs {
		st.Processes = append(st.Processes, procState{ID: p.id, Reference: p.reference, Name: p.name, Scenario: p.scenario,
			Kind: p.kind, Status: p.status, Outside: p.outside, Recipients: p.recipients, Submitted: p.submitted, PDF: p.pdf,
			Timestamp: p.timestamp, Counts: p.counts, Delivered: p.delivered, SignedSHA: p.signedSHA, Finished: p.finished})
	}
	return simkit.Frozen(st)
}

func (s *Simulator) restore(st state) {
	s.ledger.Restore(st.Ledger)
	s.mu.Lock()
	var resume []*proc
	for _, ps := range st.Processes {
		p := &proc{id: ps.ID, reference: ps.Reference, name: ps.Name, scenario: ps.Scenario, kind: ps.Kind, status: ps.Status,
			outside: ps.Outside, recipients: ps.Recipients, submitted: ps.Submitted, pdf: ps.PDF, timestamp: ps.Timestamp,
			counts: ps.Counts, delivered: ps.Delivered, signedSHA: ps.SignedSHA, finished: ps.Finished}
		if !p.outside {
			p.submit = make(chan struct{}, 1)
		}
		s.procs[p.reference] = p
		if !p.outside && !p.finished {
			resume = append(resume, p)
		}
	}
	s.mu.Unlock()
	for _, p := range resume {
		s.opts.Logger.Info("cellosign sim: scenario resumed after a restart", "reference", p.reference, "scenario", p.scenario,
			"status", p.status, "submitted", p.submitted)
		s.wg.Add(1)
		go func() { defer s.wg.Done(); s.carryOn(p) }()
	}
}

// carryOn continues a scenario from the state it reached before a restart.
func (s *Simulator) carryOn(p *proc) {
	s.mu.Lock()
	status, submitted := p.status, p.submitted
	s.mu.Unlock()
	switch {
	case status == cellosign.StatusSubmitted:
		defer s.played(p)
		s.archive(p) // submitted, but the archive may not have been accepted
	case status == cellosign.StatusSent && (p.scenario == ScenarioSign || p.scenario == ScenarioLarge):
		defer s.played(p)
		for range len(p.recipients) - submitted {
			if !s.wait(s.opts.StepDelay) || !s.submitOne(p) {
				return
			}
		}
		s.archive(p)
	case status == cellosign.StatusSent:
		s.play(p) // cancel and manual take no step before they end
	}
}

// played marks a scenario that ran to its end (not stopped by Close).
func (s *Simulator) played(p *proc) {
	if s.ctx.Err() != nil {
		return
	}
	s.mu.Lock()
	p.finished = true
	s.mu.Unlock()
}
