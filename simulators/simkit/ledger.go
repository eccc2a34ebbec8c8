package simkit

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"sort"
	"sync"
	"time"
)

// The ledger is each simulator's ground truth: what really happened to every
// provider process, recorded where it happened (a signer's action, a call
// firmaflow made, a document served, a webhook posted). Tests compare
// firmaflow's view of a process with it (package oracle), so it is written
// in firmaflow-neutral words and never derived from what firmaflow said.
// It is plain data: JSON-serialisable, so simulator state can be persisted.

// Outcome is how a provider process stands, in neutral words.
type Outcome string

const (
	OutcomeOpen      Outcome = "open"      // still waiting for signers
	OutcomeCompleted Outcome = "completed" // everyone signed; documents issued
	OutcomeRejected  Outcome = "rejected"  // a signer refused
	// OutcomeCancelled: the sender cancelled in the provider's own app.
	OutcomeCancelled Outcome = "cancelled"
	// OutcomeWithdrawn: a client (firmaflow) cancelled it through the API.
	OutcomeWithdrawn Outcome = "withdrawn"
	OutcomeExpired   Outcome = "expired" // the signers' time ran out
)

// Signer actions and states.
const (
	SignerPending        = "pending"
	SignerSigned         = "signed"
	SignerRejected       = "rejected"
	SignerDeliveryFailed = "delivery_failed"
)

// Calls a client makes that change a provider process.
const (
	CallSend       = "send"
	CallResend     = "resend"
	CallRenewal    = "renewal"
	CallCancel     = "cancel"
	CallTokenSpend = "token_spend"
)

// Event kinds of the webhooks a simulator posts, neutral.
const (
	EventInfo           = "info" // no effect expected (created, sent, resent, sealing)
	EventSigned         = "signed"
	EventRejected       = "rejected"
	EventDeliveryFailed = "delivery_failed"
	EventCancelled      = "cancelled"
	EventExpired        = "expired"
	EventCompleted      = "completed"
	EventNoTokens       = "no_tokens"
)

// LedgerSigner is one signer as the provider knows them.
type LedgerSigner struct {
	Name   string `json:"name"`
	Email  string `json:"email"`
	Status string `json:"status"`
	// At is when the signer last acted (signed, refused, failed delivery).
	At     time.Time `json:"at,omitzero"`
	Reason string    `json:"reason,omitempty"`
}

// Action is one thing a signer or the provider did, in order.
type Action struct {
	At     time.Time `json:"at"`
	Kind   string    `json:"kind"` // a signer status, or an Event kind for process-wide ones
	Signer string    `json:"signer,omitempty"`
	Reason string    `json:"reason,omitempty"`
}

// Call is one state-changing API call a client made on the process.
type Call struct {
	At   time.Time `json:"at"`
	Kind string    `json:"kind"`
	// Status is what the simulator answered.
	Status int `json:"status"`
}

// Document is a result document the provider issued, with its true bytes' hash.
type Document struct {
	Kind   string `json:"kind"` // signing.DocumentKind values
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// Download is one document download served.
type Download struct {
	At     time.Time `json:"at"`
	Path   string    `json:"path"`
	SHA256 string    `json:"sha256"`
	Size   int64     `json:"size"`
}

// Webhook is one webhook posted, with every copy and redelivery.
type Webhook struct {
	EventID string `json:"event_id"`
	Kind    string `json:"kind"`
	Signer  string `json:"signer,omitempty"`
	// Attempts counts POSTs of this event (copies and redeliveries).
	Attempts int `json:"attempts"`
	// Status is the last answer (0: no answer); Answered2xx is when the
	// first 2xx came (zero if none did).
	Status      int       `json:"status"`
	Answered2xx time.Time `json:"answered_2xx,omitzero"`
	PostedAt    time.Time `json:"posted_at"`
}

// Delivered reports whether the receiver answered 2xx at least once.
func (w Webhook) Delivered() bool { return !w.Answered2xx.IsZero() }

// ProcessLedger is the truth about one provider process.
type ProcessLedger struct {
	Provider  string         `json:"provider"`
	Ref       string         `json:"ref"`
	Name      string         `json:"name"`
	Scenario  string         `json:"scenario"`
	Outcome   Outcome        `json:"outcome"`
	Reason    string         `json:"reason,omitempty"`
	Signers   []LedgerSigner `json:"signers"`
	Actions   []Action       `json:"actions"`
	Calls     []Call         `json:"calls"`
	Documents []Document     `json:"documents,omitempty"`
	Downloads []Download     `json:"downloads,omitempty"`
	Webhooks  []Webhook      `json:"webhooks,omitempty"`
}

// CallCount counts calls of a kind answered 2xx.
func (p ProcessLedger) CallCount(kind string) int {
	n := 0
	for _, c := range p.Calls {
		if c.Kind == kind && c.Status/100 == 2 {
			n++
		}
	}
	return n
}

// Signer returns the signer with that email.
func (p *ProcessLedger) signer(email string) *LedgerSigner {
	for i := range p.Signers {
		if p.Signers[i].Email == email {
			return &p.Signers[i]
		}
	}
	return nil
}

func (p ProcessLedger) clone() ProcessLedger {
	p.Signers = append([]LedgerSigner(nil), p.Signers...)
	p.Actions = append([]Action(nil), p.Actions...)
	p.Calls = append([]Call(nil), p.Calls...)
	p.Documents = append([]Document(nil), p.Documents...)
	p.Downloads = append([]Download(nil), p.Downloads...)
	p.Webhooks = append([]Webhook(nil), p.Webhooks...)
	return p
}

// Ledger records ground truth for every process of one simulator. Its
// methods are safe for concurrent use; a nil *Ledger records nothing.
type Ledger struct {
	provider string
	mu       sync.Mutex
	procs    map[string]*ProcessLedger
}

// NewLedger returns an empty ledger for a provider's simulator.
func NewLedger(provider string) *Ledger {
	return &Ledger{provider: provider, procs: map[string]*ProcessLedger{}}
}

// Open records a new provider process and the send that created it.
func (l *Ledger) Open(ref, name, scenario string, signers []LedgerSigner) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	p := &ProcessLedger{Provider: l.provider, Ref: ref, Name: name, Scenario: scenario, Outcome: OutcomeOpen}
	for _, s := range signers {
		s.Status = SignerPending
		p.Signers = append(p.Signers, s)
	}
	p.Calls = append(p.Calls, Call{At: time.Now(), Kind: CallSend, Status: http.StatusOK})
	l.procs[ref] = p
}

func (l *Ledger) with(ref string, f func(p *ProcessLedger)) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if p := l.procs[ref]; p != nil {
		f(p)
	}
}

// Signer records a signer's action: SignerSigned, SignerRejected (with the
// reason) or SignerDeliveryFailed. A signer who signed stays signed.
func (l *Ledger) Signer(ref, email, status, reason string) {
	l.with(ref, func(p *ProcessLedger) {
		now := time.Now()
		s := p.signer(email)
		if s == nil || s.Status == SignerSigned || (p.Outcome != OutcomeOpen && p.Outcome != OutcomeExpired) {
			return
		}
		s.Status, s.At, s.Reason = status, now, reason
		p.Actions = append(p.Actions, Action{At: now, Kind: status, Signer: email, Reason: reason})
		if status == SignerRejected && p.Outcome == OutcomeOpen {
			p.Outcome, p.Reason = OutcomeRejected, reason
		}
	})
}

// End records the process's outcome (completed, cancelled, expired,
// withdrawn); the first final outcome sticks. An expiry is undone by a
// renewal (Reopen); withdrawing an expired process leaves it expired.
func (l *Ledger) End(ref string, o Outcome, reason string) {
	l.with(ref, func(p *ProcessLedger) {
		p.Actions = append(p.Actions, Action{At: time.Now(), Kind: string(o), Reason: reason})
		if p.Outcome == OutcomeOpen || (p.Outcome == OutcomeExpired && o != OutcomeWithdrawn) {
			p.Outcome, p.Reason = o, reason
		}
	})
}

// Reopen undoes an expiry (a renewal) or a delivery failure (a resend): the
// affected signers are invited again.
func (l *Ledger) Reopen(ref string) {
	l.with(ref, func(p *ProcessLedger) {
		if p.Outcome == OutcomeExpired {
			p.Outcome, p.Reason = OutcomeOpen, ""
		}
		for i := range p.Signers {
			if p.Signers[i].Status == SignerDeliveryFailed {
				p.Signers[i].Status = SignerPending
			}
		}
	})
}

// Call records a state-changing API call and the status it was answered.
func (l *Ledger) Call(ref, kind string, status int) {
	l.with(ref, func(p *ProcessLedger) {
		p.Calls = append(p.Calls, Call{At: time.Now(), Kind: kind, Status: status})
	})
}

// Issue records the result documents of a completed process.
func (l *Ledger) Issue(ref string, docs ...Document) {
	l.with(ref, func(p *ProcessLedger) { p.Documents = append(p.Documents, docs...) })
}

// Served records a document download and the bytes served.
func (l *Ledger) Served(ref, path string, body []byte) {
	l.with(ref, func(p *ProcessLedger) {
		p.Downloads = append(p.Downloads, Download{At: time.Now(), Path: path, SHA256: SHA256(body), Size: int64(len(body))})
	})
}

// Posted records a webhook and how its delivery went.
func (l *Ledger) Posted(ref, eventID, kind, signer string, posted time.Time, res Result) {
	l.with(ref, func(p *ProcessLedger) {
		p.Webhooks = append(p.Webhooks, Webhook{EventID: eventID, Kind: kind, Signer: signer, Attempts: res.Attempts,
			Status: res.Status, Answered2xx: res.FirstOK, PostedAt: posted})
	})
}

// Process returns a copy of one process's ledger.
func (l *Ledger) Process(ref string) (ProcessLedger, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p, ok := l.procs[ref]
	if !ok {
		return ProcessLedger{}, false
	}
	return p.clone(), true
}

// Snapshot returns a copy of every process's ledger, by ref.
func (l *Ledger) Snapshot() []ProcessLedger {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]ProcessLedger, 0, len(l.procs))
	for _, p := range l.procs {
		out = append(out, p.clone())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Ref < out[j].Ref })
	return out
}

// Restore replaces the ledger's content (a persisted snapshot).
func (l *Ledger) Restore(procs []ProcessLedger) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.procs = map[string]*ProcessLedger{}
	for _, p := range procs {
		p := p.clone()
		l.procs[p.Ref] = &p
	}
}

// ServeHTTP answers GET /sim/ledger with the snapshot as JSON.
func (l *Ledger) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	WriteJSON(w, http.StatusOK, l.Snapshot())
}

// SHA256 is the hex SHA-256 of b.
func SHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Doc describes bytes as an issued document.
func Doc(kind, name string, b []byte) Document {
	return Document{Kind: kind, Name: name, SHA256: SHA256(b), Size: int64(len(b))}
}

// SetSigners records the signers of a process created without them
// (Autosign adds recipients in a later step of its send).
func (l *Ledger) SetSigners(ref string, signers []LedgerSigner) {
	l.with(ref, func(p *ProcessLedger) {
		p.Signers = nil
		for _, s := range signers {
			s.Status = SignerPending
			p.Signers = append(p.Signers, s)
		}
	})
}
