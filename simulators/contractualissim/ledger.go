package contractualissim

import (
	"time"

	"github.com/firmaflow/firmaflow/providers/contractualis"
	"github.com/firmaflow/firmaflow/signing"
	"github.com/firmaflow/firmaflow/simulators/simkit"
)

// Ledger returns a copy of the simulator's ground truth, every document.
func (s *Simulator) Ledger() []simkit.ProcessLedger { return s.ledger.Snapshot() }

// LedgerOf returns a copy of one document's ground truth.
func (s *Simulator) LedgerOf(id string) (simkit.ProcessLedger, bool) { return s.ledger.Process(id) }

func (s *Simulator) open(d *document) {
	signers := make([]simkit.LedgerSigner, len(d.signers))
	for i, sg := range d.signers {
		signers[i] = simkit.LedgerSigner{Name: sg.Name, Email: sg.Email}
	}
	s.ledger.Open(d.id, d.name, d.scenario, signers)
}

// completed records the end and the four documents the completion links:
// the signed PDF, the NOM-151 record, the certificate and the audit trail
// (the three pieces of evidence are the same bytes in the simulator).
func (s *Simulator) completed(d *document) {
	s.mu.Lock()
	signed, evidence := d.signed, d.evidence
	s.mu.Unlock()
	s.ledger.Issue(d.id,
		simkit.Doc(string(signing.KindSigned), "document", signed),
		simkit.Doc(string(signing.KindCertificate), "nom151", evidence),
		simkit.Doc(string(signing.KindCertificate), "certificate", evidence),
		simkit.Doc(string(signing.KindAuditTrail), "audittrail", evidence))
	s.ledger.End(d.id, simkit.OutcomeCompleted, "")
}

var eventKinds = map[string]string{
	contractualis.EventSigned: simkit.EventSigned, contractualis.EventSended: simkit.EventInfo,
	contractualis.EventCompleted: simkit.EventCompleted, contractualis.EventNoTokens: simkit.EventNoTokens,
}

// posted records a webhook; Contractualis numbers no events, so the id is
// a hash of the body.
func (s *Simulator) posted(d *document, payload map[string]any, body []byte, at time.Time, res simkit.Result) {
	typ, _ := payload["event"].(string)
	signer := ""
	if data, ok := payload["data"].(map[string]any); ok {
		if sg, ok := data["signer"].(map[string]string); ok {
			signer = sg["email"]
		}
	}
	s.ledger.Posted(d.id, simkit.SHA256(body)[:16], eventKinds[typ], signer, at, res)
}
