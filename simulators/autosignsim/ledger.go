package autosignsim

import (
	"time"

	"github.com/firmaflow/firmaflow/signing"
	"github.com/firmaflow/firmaflow/simulators/simkit"
)

// Ledger returns a copy of the simulator's ground truth, every transaction.
func (s *Simulator) Ledger() []simkit.ProcessLedger { return s.ledger.Snapshot() }

// LedgerOf returns a copy of one transaction's ground truth.
func (s *Simulator) LedgerOf(id string) (simkit.ProcessLedger, bool) { return s.ledger.Process(id) }

// started records the signers once the transaction starts: only then are
// its recipients final.
func (s *Simulator) started(t *tx) {
	s.mu.Lock()
	var signers []simkit.LedgerSigner
	for _, r := range t.recipients {
		if r.Role == "signer" {
			signers = append(signers, simkit.LedgerSigner{Name: r.Name, Email: r.Email})
		}
	}
	s.mu.Unlock()
	s.ledger.SetSigners(t.id, signers)
}

// completed records the sealed document and the end.
func (s *Simulator) completed(t *tx) {
	s.mu.Lock()
	doc := simkit.Doc(string(signing.KindSigned), "sealed-"+t.name+".pdf", t.sealed)
	s.mu.Unlock()
	s.ledger.Issue(t.id, doc)
	s.ledger.End(t.id, simkit.OutcomeCompleted, "")
}

var eventKinds = map[string]string{
	"transaction_created": simkit.EventInfo, "transaction_started": simkit.EventInfo,
	"recipient_submitted": simkit.EventSigned, "transaction_rejected": simkit.EventRejected,
	"transaction_cancelled": simkit.EventCancelled, "transaction_expired": simkit.EventExpired,
	"transaction_completed": simkit.EventCompleted,
}

func (s *Simulator) posted(t *tx, id, typ string, data map[string]any, at time.Time, res simkit.Result) {
	signer := ""
	for _, k := range []string{"recipient", "rejected_by"} {
		if p, ok := data[k].(map[string]string); ok {
			signer = p["email"]
		}
	}
	s.ledger.Posted(t.id, id, eventKinds[typ], signer, at, res)
}
