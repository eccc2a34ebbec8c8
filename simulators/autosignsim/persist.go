package autosignsim

import (
	"fmt"
	"slices"
	"time"

	"github.com/firmaflow/firmaflow/providers/autosign"
	"github.com/firmaflow/firmaflow/simulators/simkit"
)

// state is what the simulator keeps on disk (see Persist). Access tokens
// are kept too, so a worker's cached token stays valid across a restart.
type state struct {
	// Ledger is the ground truth the tests compare with; it survives restarts too.
	Ledger       []simkit.ProcessLedger   `json:"ledger"`
	Files        map[string][]byte        `json:"files"`
	Transactions []txState                `json:"transactions"`
	Access       map[string]time.Time     `json:"access"`
	Refreshes    int                      `json:"refreshes"`
	Webhooks     []autosign.CreateWebhook `json:"webhooks"`
}

type txState struct {
	ID         string               `json:"id"`
	Name       string               `json:"name"`
	Endpoint   string               `json:"endpoint"`
	Scenario   string               `json:"scenario"`
	BaseURL    string               `json:"base_url"`
	Steps      []string             `json:"steps"`
	Docs       [][]byte             `json:"docs"`
	Templates  int                  `json:"templates"`
	Recipients []autosign.Recipient `json:"recipients"`
	Fields     int                  `json:"fields"`
	Status     string               `json:"status"`
	Sealed     []byte               `json:"sealed"`
	Counts     Counts               `json:"counts"`
	Delivered  []string             `json:"delivered"`
	Replay     simkit.Replay        `json:"replay"`
	Finished   bool                 `json:"finished"`
}

// Persist keeps the simulator's state in path: it loads what a previous
// run left there, plays again every started scenario that had not finished
// (skipping the events already posted), and from then on writes every
// change. Call it before serving.
func (s *Simulator) Persist(path string) error {
	p, err := simkit.Resume(path, s.restore, s.snapshot, s.opts.Logger)
	if err != nil {
		return fmt.Errorf("autosign sim: %w", err)
	}
	s.mu.Lock()
	s.persister = p
	s.mu.Unlock()
	return nil
}

func (s *Simulator) snapshot() any {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := state{Files: s.files, Access: s.access, Refreshes: s.refresh, Webhooks: s.webhooks}
	st.Ledger = s.ledger.Snapshot()
	for _, t := range s.txs {
		st.Transactions = append(st.Transactions, txState{ID: t.id, Name: t.name, Endpoint: t.endpoint, Scenario: t.scenario,
			BaseURL: t.baseURL, Steps: t.steps, Docs: t.docs, Templates: t.templates, Recipients: t.recipients, Fields: t.fields,
			Status: t.status, Sealed: t.sealed, Counts: t.counts, Delivered: t.delivered, Replay: t.replay, Finished: t.finished})
	}
	// Encoded under the lock: the maps and slices are the live ones.
	return simkit.Frozen(st)
}

func (s *Simulator) restore(st state) {
	s.ledger.Restore(st.Ledger)
	s.mu.Lock()
	if st.Files != nil {
		s.files = st.Files
	}
	if st.Access != nil {
		s.access = st.Access
	}
	s.refresh, s.webhooks = st.Refreshes, st.Webhooks
	var resume []*tx
	for _, ts := range st.Transactions {
		t := &tx{id: ts.ID, name: ts.Name, endpoint: ts.Endpoint, scenario: ts.Scenario, baseURL: ts.BaseURL, steps: ts.Steps,
			docs: ts.Docs, templates: ts.Templates, recipients: ts.Recipients, fields: ts.Fields, status: ts.Status,
			sealed: ts.Sealed, counts: ts.Counts, delivered: ts.Delivered, replay: ts.Replay, finished: ts.Finished}
		s.txs[t.id] = t
		if slices.Contains(t.steps, "start") && !t.finished {
			t.replay.Resume()
			resume = append(resume, t)
		}
	}
	s.mu.Unlock()
	for _, t := range resume {
		s.opts.Logger.Info("autosign sim: scenario resumed after a restart", "id", t.id, "scenario", t.scenario, "events_posted", t.replay.Steps)
		s.wg.Add(1)
		go func() { defer s.wg.Done(); s.play(t) }()
	}
}

// playEvent posts a scenario's event unless it was posted before a restart.
func (s *Simulator) playEvent(t *tx, typ string, data map[string]any) {
	s.mu.Lock()
	skip := t.replay.Skip()
	s.mu.Unlock()
	if skip {
		return
	}
	if !s.event(t, typ, data) && s.ctx.Err() != nil {
		return // cut short by Close: the replay posts it again
	}
	s.mu.Lock()
	t.replay.Done()
	s.mu.Unlock()
}

// played marks a scenario that ran to its end (not stopped by Close).
func (s *Simulator) played(t *tx) {
	if s.ctx.Err() != nil {
		return
	}
	s.mu.Lock()
	t.finished = true
	s.mu.Unlock()
}

// pauseFor waits a scenario step, except while replaying steps taken
// before a restart: those were waited for already.
func (s *Simulator) pauseFor(t *tx) bool {
	s.mu.Lock()
	replaying := t.replay.Replaying()
	s.mu.Unlock()
	if replaying {
		return s.ctx.Err() == nil
	}
	return s.pause()
}
