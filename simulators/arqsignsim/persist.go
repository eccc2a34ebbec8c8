package arqsignsim

import (
	"fmt"

	"github.com/firmaflow/firmaflow/simulators/simkit"
)

// state is what the simulator keeps on disk (see Persist).
type state struct {
	// Ledger is the ground truth the tests compare with; it survives restarts too.
	Ledger    []simkit.ProcessLedger `json:"ledger"`
	Processes []processState         `json:"processes"`
}

type processState struct {
	ID            string        `json:"id"`
	Name          string        `json:"name"`
	Scenario      string        `json:"scenario"`
	BaseURL       string        `json:"base_url"`
	Base64        bool          `json:"base64"`
	Signers       []signer      `json:"signers"`
	Docs          []docState    `json:"docs"`
	Status        int           `json:"status"`
	Expired       bool          `json:"expired"`
	DataReenvio   string        `json:"data_reenvio"`
	DataRenovacao string        `json:"data_renovacao"`
	Counts        Counts        `json:"counts"`
	Webhooks      []int         `json:"webhooks"`
	Resumes       int           `json:"resumes"` // a resend not yet taken by the scenario
	Replay        simkit.Replay `json:"replay"`
	Finished      bool          `json:"finished"`
}

type docState struct {
	Name   string `json:"name"`
	Signed []byte `json:"signed"`
	Record []byte `json:"record"`
}

// Persist keeps the simulator's state in path: it loads what a previous
// run left there, plays again every scenario that had not finished (skipping
// the steps already taken, so a process in flight carries on after a dev
// stack restart), and from then on writes every change. Call it before
// serving.
func (s *Simulator) Persist(path string) error {
	p, err := simkit.Resume(path, s.restore, s.snapshot, s.opts.Logger)
	if err != nil {
		return fmt.Errorf("arqsign sim: %w", err)
	}
	s.mu.Lock()
	s.persister = p
	s.mu.Unlock()
	return nil
}

func (s *Simulator) snapshot() any {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := state{Processes: make([]processState, 0, len(s.processes))}
	st.Ledger = s.ledger.Snapshot()
	for _, p := range s.processes {
		ps := processState{ID: p.id, Name: p.name, Scenario: p.scenario, BaseURL: p.baseURL, Base64: p.base64,
			Status: p.status, Expired: p.expired, DataReenvio: p.dataReenvio, DataRenovacao: p.dataRenovacao,
			Counts: p.counts, Webhooks: append([]int(nil), p.webhooks...), Resumes: len(p.resume), Replay: p.replay, Finished: p.finished}
		for _, sg := range p.signers {
			ps.Signers = append(ps.Signers, *sg)
		}
		for _, d := range p.docs {
			ps.Docs = append(ps.Docs, docState{Name: d.name, Signed: d.signed, Record: d.record})
		}
		st.Processes = append(st.Processes, ps)
	}
	return st
}

func (s *Simulator) restore(st state) {
	s.ledger.Restore(st.Ledger)
	s.mu.Lock()
	var resume []*process
	for _, ps := range st.Processes {
		p := &process{id: ps.ID, name: ps.Name, scenario: ps.Scenario, baseURL: ps.BaseURL, base64: ps.Base64,
			status: ps.Status, expired: ps.Expired, dataReenvio: ps.DataReenvio, dataRenovacao: ps.DataRenovacao,
			counts: ps.Counts, webhooks: ps.Webhooks, replay: ps.Replay, finished: ps.Finished, resume: make(chan struct{}, 1)}
		for _, sg := range ps.Signers {
			p.signers = append(p.signers, &sg)
		}
		for _, d := range ps.Docs {
			p.docs = append(p.docs, simDoc{name: d.Name, signed: d.Signed, record: d.Record})
		}
		if ps.Resumes > 0 {
			p.resume <- struct{}{}
		}
		s.processes[p.id] = p
		if !p.finished {
			p.replay.Resume()
			resume = append(resume, p)
		}
	}
	s.mu.Unlock()
	for _, p := range resume {
		s.opts.Logger.Info("arqsign sim: scenario resumed after a restart", "id", p.id, "scenario", p.scenario, "steps_taken", p.replay.Steps)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.play(p)
		}()
	}
}

// replayed reports (and consumes) a step taken before a restart.
func (s *Simulator) replayed(p *process) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return p.replay.Skip()
}

// replaying: a wait between steps taken before the restart is over.
func (s *Simulator) replaying(p *process) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return p.replay.Replaying()
}

// stepTaken counts a step unless its webhook was cut short by Close (then
// the replay posts it again, as a provider would). A webhook the receiver
// took counts even if Close came right after.
func (s *Simulator) stepTaken(p *process, delivered bool) {
	if !delivered && s.ctx.Err() != nil {
		return
	}
	s.mu.Lock()
	p.replay.Done()
	s.mu.Unlock()
}

// played marks a scenario that ran to its end (not stopped by Close).
func (s *Simulator) played(p *process) {
	if s.ctx.Err() != nil {
		return
	}
	s.mu.Lock()
	p.finished = true
	s.mu.Unlock()
}
