package contractualissim

import (
	"encoding/json"
	"net/http"
	"net/url"
	"time"

	"github.com/firmaflow/firmaflow/providers/contractualis"
	"github.com/firmaflow/firmaflow/simulators/simkit"
)

// play runs a document's scenario.
func (s *Simulator) play(d *document) {
	defer s.played(d)
	if d.scenario == ScenarioManual {
		return
	}
	for _, sg := range d.signers {
		if !s.pauseFor(d) || !s.alive(d) {
			return
		}
		s.ledger.Signer(d.id, sg.Email, simkit.SignerSigned, "")
		s.playPost(d, map[string]any{"event": contractualis.EventSigned, "timestamp": now(), "data": map[string]any{
			"document_id": d.id, "tokentime": "t-" + d.id, "status": "signed",
			"signer": map[string]string{"name": sg.Name, "email": sg.Email, "signed_at": time.Now().Format("2006-01-02 15:04:05.000")},
		}})
	}
	if !s.pauseFor(d) || !s.alive(d) {
		return
	}
	if s.spent(d) {
		s.seal(d)
		return
	}
	s.mu.Lock()
	if d.scenario == ScenarioNoTokens {
		s.tokens, s.tokenChecks = 0, 0
	}
	if s.tokens == 0 {
		// Signed by everyone, but nothing to pay the blockchain with: the
		// document waits as ready and the account is told.
		d.status = "ready"
		s.mu.Unlock()
		s.playPost(d, map[string]any{"event": contractualis.EventNoTokens, "timestamp": now()})
		return
	}
	s.spend(d)
	s.mu.Unlock()
	s.seal(d)
}

// seal posts document.sended, then document.completed with the links.
func (s *Simulator) seal(d *document) {
	base := d.baseURL + "/sim/files/" + url.PathEscape(d.id) + "/"
	s.playPost(d, map[string]any{"event": contractualis.EventSended, "timestamp": now(), "data": map[string]any{
		"document_id": d.id, "status": "pending",
		"document": map[string]string{"name": d.name, "creator": s.opts.Email, "tokentime": "t-" + d.id},
	}})
	if !s.pauseFor(d) {
		return
	}
	s.mu.Lock()
	d.status = contractualis.StatusCompleted
	view := d.view()
	s.mu.Unlock()
	s.completed(d)
	s.playPost(d, map[string]any{"event": contractualis.EventCompleted, "timestamp": now(), "data": map[string]any{
		"document_id": d.id, "status": "completed",
		"document": map[string]string{"name": d.name, "creator": s.opts.Email, "tokentime": "t-" + d.id,
			"hash": view.SignedSHA256[0], "url": base + "document", "nom151": base + "nom151",
			"certificate": base + "certificate", "audittrail": base + "audittrail"},
	}})
}

func (s *Simulator) pause() bool {
	select {
	case <-s.ctx.Done():
		return false
	case <-time.After(s.opts.StepDelay):
		return true
	}
}

func (s *Simulator) alive(d *document) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return d.status != contractualis.StatusDeleted
}

func now() string { return time.Now().Format(time.RFC3339Nano) }

// post delivers a webhook, redelivering with backoff until the bridge answers 200.
func (s *Simulator) post(d *document, payload map[string]any) bool {
	body, _ := json.Marshal(payload)
	s.mu.Lock()
	target := s.opts.WebhookURL
	s.mu.Unlock()
	if target == "" {
		return false
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("X-Firmaflow-Token", s.opts.WebhookSecret)
	posted := time.Now()
	res := s.faults.Deliver(s.ctx, s.client, simkit.Delivery{URL: target, Body: body, Header: h,
		Attempts: s.opts.DeliveryAttempts, Backoff: s.opts.RetryBackoff}, nil)
	s.posted(d, payload, body, posted, res)
	s.mu.Lock()
	d.counts.WebhooksRefused += res.Refused
	if res.Delivered {
		d.webhooks = append(d.webhooks, payload["event"].(string))
	}
	s.mu.Unlock()
	if !res.Delivered {
		s.opts.Logger.Warn("contractualis sim: webhook undelivered", "event", payload["event"])
	}
	return res.Delivered
}
