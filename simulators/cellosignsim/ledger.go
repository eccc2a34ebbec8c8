package cellosignsim

import (
	"github.com/firmaflow/firmaflow/signing"
	"github.com/firmaflow/firmaflow/simulators/simkit"
)

// Ledger returns a copy of the simulator's ground truth, every process by
// reference.
func (s *Simulator) Ledger() []simkit.ProcessLedger { return s.ledger.Snapshot() }

// LedgerOf returns a copy of one process's ground truth.
func (s *Simulator) LedgerOf(reference string) (simkit.ProcessLedger, bool) {
	return s.ledger.Process(reference)
}

// open records a new process; called with or without s.mu (the ledger
// has its own lock), p's fields set at creation only.
func (s *Simulator) open(p *proc) {
	signers := make([]simkit.LedgerSigner, len(p.recipients))
	for i, rc := range p.recipients {
		signers[i] = simkit.LedgerSigner{Name: rc.Name, Email: rc.Email}
	}
	s.ledger.Open(p.reference, p.name, p.scenario, signers)
	if p.outside {
		for _, rc := range p.recipients {
			s.ledger.Signer(p.reference, rc.Email, simkit.SignerSigned, "")
		}
	}
}

// issued records the archive's documents (the signed PDF and the
// attachment) and the end, the first time the archive is posted.
func (s *Simulator) issued(p *proc, signedSHA string) {
	size := s.opts.LargeSize
	if p.scenario != ScenarioLarge {
		size = int64(len(p.pdf) + len("\n% signed and locked by the CelloSign simulator "+p.reference+"\n%%EOF\n"))
	}
	s.ledger.Issue(p.reference,
		simkit.Document{Kind: string(signing.KindSigned), Name: "SIGNEDDOCUMENT.pdf", SHA256: signedSHA, Size: size},
		simkit.Doc(string(signing.KindAttachment), "id-card.png", attachmentBytes(p.reference)))
	s.ledger.End(p.reference, simkit.OutcomeCompleted, "")
}

func attachmentBytes(reference string) []byte {
	return []byte("\x89PNG\r\n\x1a\nattachment of " + reference)
}
