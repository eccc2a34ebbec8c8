package contractualissim

import (
	"fmt"

	"github.com/firmaflow/firmaflow/providers/contractualis"
	"github.com/firmaflow/firmaflow/simulators/simkit"
)

// state is what the simulator keeps on disk (see Persist). Sessions (JWTs)
// are kept too, so a worker's session stays valid across a restart.
type state struct {
	// Ledger is the ground truth the tests compare with; it survives restarts too.
	Ledger      []simkit.ProcessLedger `json:"ledger"`
	Documents   []docState             `json:"documents"`
	Tokens      int                    `json:"tokens"`
	TokenChecks int                    `json:"token_checks"`
	Logins      int                    `json:"logins"`
	JWTs        map[string]bool        `json:"jwts"`
}

type docState struct {
	ID          string                 `json:"id"`
	Name        string                 `json:"name"`
	Scenario    string                 `json:"scenario"`
	BaseURL     string                 `json:"base_url"`
	Subaccount  string                 `json:"subaccount"`
	Signers     []contractualis.Signer `json:"signers"`
	Attachments []string               `json:"attachments"`
	Status      string                 `json:"status"`
	Signed      []byte                 `json:"signed"`
	Evidence    []byte                 `json:"evidence"`
	Counts      Counts                 `json:"counts"`
	Webhooks    []string               `json:"webhooks"`
	Replay      simkit.Replay          `json:"replay"`
	Finished    bool                   `json:"finished"`
	PlaySteps   int                    `json:"play_steps"`
}

// Persist keeps the simulator's state in path: it loads what a previous
// run left there, plays again every scenario that had not finished
// (skipping the webhooks already posted), finishes a sealing cut short,
// and from then on writes every change. Call it before serving.
func (s *Simulator) Persist(path string) error {
	p, err := simkit.Resume(path, s.restore, s.snapshot, s.opts.Logger)
	if err != nil {
		return fmt.Errorf("contractualis sim: %w", err)
	}
	s.mu.Lock()
	s.persister = p
	s.mu.Unlock()
	return nil
}

func (s *Simulator) snapshot() any {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := state{Tokens: s.tokens, TokenChecks: s.tokenChecks, Logins: s.logins, JWTs: s.jwts}
	st.Ledger = s.ledger.Snapshot()
	for _, d := range s.docs {
		st.Documents = append(st.Documents, docState{ID: d.id, Name: d.name, Scenario: d.scenario, BaseURL: d.baseURL,
			Subaccount: d.subaccount, Signers: d.signers, Attachments: d.attachments, Status: d.status, Signed: d.signed,
			Evidence: d.evidence, Counts: d.counts, Webhooks: d.webhooks, Replay: d.replay, Finished: d.finished, PlaySteps: d.playSteps})
	}
	return simkit.Frozen(st)
}

func (s *Simulator) restore(st state) {
	s.ledger.Restore(st.Ledger)
	s.mu.Lock()
	s.tokens, s.tokenChecks, s.logins = st.Tokens, st.TokenChecks, st.Logins
	if st.JWTs != nil {
		s.jwts = st.JWTs
	}
	var replay, seal []*document
	for _, ds := range st.Documents {
		d := &document{id: ds.ID, name: ds.Name, scenario: ds.Scenario, baseURL: ds.BaseURL, subaccount: ds.Subaccount,
			signers: ds.Signers, attachments: ds.Attachments, status: ds.Status, signed: ds.Signed, evidence: ds.Evidence,
			counts: ds.Counts, webhooks: ds.Webhooks, replay: ds.Replay, finished: ds.Finished, playSteps: ds.PlaySteps}
		s.docs[d.id] = d
		switch {
		case !d.finished:
			d.replay.Resume()
			replay = append(replay, d)
		case d.status == contractualis.StatusPending:
			// Sealing after a finish call was cut short: post what is left.
			d.replay.ResumeAt(d.replay.Steps - d.playSteps)
			seal = append(seal, d)
		}
	}
	s.mu.Unlock()
	for _, d := range replay {
		s.opts.Logger.Info("contractualis sim: scenario resumed after a restart", "id", d.id, "scenario", d.scenario, "posted", d.replay.Steps)
		s.wg.Add(1)
		go func() { defer s.wg.Done(); s.play(d) }()
	}
	for _, d := range seal {
		s.opts.Logger.Info("contractualis sim: sealing resumed after a restart", "id", d.id)
		s.wg.Add(1)
		go func() { defer s.wg.Done(); s.seal(d) }()
	}
}

// playPost posts a scenario's webhook unless it was posted before a restart.
func (s *Simulator) playPost(d *document, payload map[string]any) {
	s.mu.Lock()
	skip := d.replay.Skip()
	s.mu.Unlock()
	if skip {
		return
	}
	if !s.post(d, payload) && s.ctx.Err() != nil {
		return // cut short by Close: the replay posts it again
	}
	s.mu.Lock()
	d.replay.Done()
	s.mu.Unlock()
}

// played marks a scenario that ran to its end (not stopped by Close).
func (s *Simulator) played(d *document) {
	if s.ctx.Err() != nil {
		return
	}
	s.mu.Lock()
	d.finished, d.playSteps = true, d.replay.Steps
	s.mu.Unlock()
}

// spent: a replayed scenario whose token was spent before the restart goes
// straight to sealing (spending again would charge the account twice).
func (s *Simulator) spent(d *document) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return d.counts.TokensSpent > 0
}

// pauseFor waits a scenario step, except while replaying steps taken
// before a restart: those were waited for already.
func (s *Simulator) pauseFor(d *document) bool {
	s.mu.Lock()
	replaying := d.replay.Replaying()
	s.mu.Unlock()
	if replaying {
		return s.ctx.Err() == nil
	}
	return s.pause()
}
