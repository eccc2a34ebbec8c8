package arqsignsim

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/firmaflow/firmaflow/providers/arqsign"
	"github.com/firmaflow/firmaflow/signing"
	"github.com/firmaflow/firmaflow/simulators/simkit"
)

// Ledger returns a copy of the simulator's ground truth, every process.
func (s *Simulator) Ledger() []simkit.ProcessLedger { return s.ledger.Snapshot() }

// LedgerOf returns a copy of one process's ground truth.
func (s *Simulator) LedgerOf(id string) (simkit.ProcessLedger, bool) { return s.ledger.Process(id) }

func (s *Simulator) open(p *process) {
	signers := make([]simkit.LedgerSigner, len(p.signers))
	for i, sg := range p.signers {
		signers[i] = simkit.LedgerSigner{Name: sg.Name, Email: sg.Email}
	}
	s.ledger.Open(p.id, p.name, p.scenario, signers)
}

// issue records the end of a completed process and the documents it
// carries: each signed PDF and its signature record; s.mu is held.
func (s *Simulator) issue(p *process) {
	for _, d := range p.docs {
		s.ledger.Issue(p.id, simkit.Doc(string(signing.KindSigned), d.name, d.signed),
			simkit.Doc(string(signing.KindSignatureRecord), "registro-"+d.name, d.record))
	}
	s.ledger.End(p.id, simkit.OutcomeCompleted, "")
}

var triggerKinds = map[int]string{
	arqsign.TriggerSent: simkit.EventInfo, arqsign.TriggerDeliveryFailed: simkit.EventDeliveryFailed,
	arqsign.TriggerSigned: simkit.EventSigned, arqsign.TriggerRejected: simkit.EventRejected,
	arqsign.TriggerCancelled: simkit.EventCancelled, arqsign.TriggerExpired: simkit.EventExpired,
	arqsign.TriggerResent: simkit.EventInfo, arqsign.TriggerCompleted: simkit.EventCompleted,
}

// posted records a webhook in the ledger. ArqSIGN numbers no events, so
// the id is the trigger and a hash of the body.
func (s *Simulator) posted(p *process, trigger int, who *signer, body []byte, at time.Time, res simkit.Result) {
	signer := ""
	if who != nil && (trigger == arqsign.TriggerDeliveryFailed || trigger == arqsign.TriggerSigned || trigger == arqsign.TriggerRejected) {
		signer = who.Email
	}
	s.ledger.Posted(p.id, fmt.Sprintf("%d:%s", trigger, simkit.SHA256(body)[:16]), triggerKinds[trigger], signer, at, res)
}

// triggerSigner is the signer a manual trigger is about: ?signer=N (from
// 0), else the last one.
func triggerSigner(p *process, r *http.Request) (*signer, bool) {
	q := r.URL.Query().Get("signer")
	if q == "" {
		return p.signers[len(p.signers)-1], true
	}
	i, err := strconv.Atoi(q)
	if err != nil || i < 0 || i >= len(p.signers) {
		return nil, false
	}
	return p.signers[i], true
}
