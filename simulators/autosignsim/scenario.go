package autosignsim

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/firmaflow/firmaflow/providers/autosign"
	"github.com/firmaflow/firmaflow/simulators/simkit"
)

func now() string { return time.Now().UTC().Format("2006-01-02T15:04:05.000Z") }

func (s *Simulator) play(t *tx) {
	defer s.played(t)
	s.playEvent(t, "transaction_started", map[string]any{"id": t.id, "status": "started",
		"started_by": map[string]string{"id": "u1", "email": "dev@autosign.io"}})
	signers := []autosign.Recipient{}
	for _, r := range t.recipients {
		if r.Role == "signer" {
			signers = append(signers, r)
		}
	}
	switch t.scenario {
	case ScenarioSign:
		for _, r := range signers {
			if !s.pauseFor(t) {
				return
			}
			s.ledger.Signer(t.id, r.Email, simkit.SignerSigned, "")
			s.playEvent(t, "recipient_submitted", map[string]any{"id": t.id, "status": "started", "recipient": person(r)})
		}
		if !s.pauseFor(t) {
			return
		}
		s.mu.Lock()
		t.status = autosign.StatusCompleted
		t.sealed = append(append([]byte(nil), t.docs[0]...), []byte("\n% sealed by the Autosign simulator "+t.id+"\n%%EOF\n")...)
		s.mu.Unlock()
		s.completed(t)
		var recipients []map[string]string
		for _, r := range signers {
			recipients = append(recipients, person(r))
		}
		s.playEvent(t, "transaction_completed", map[string]any{"id": t.id, "status": "completed", "recipients": recipients,
			"sealed_documents": []map[string]any{{"id": t.id + "-sealed", "name": "sealed-" + t.name + ".pdf", "created_at": now(),
				"document": map[string]string{"id": t.id + "-d1", "name": "document.pdf"}}}})
	case ScenarioReject:
		if s.pauseFor(t) {
			s.set(t, autosign.StatusRejected)
			s.mu.Lock()
			t.rejectedReason, t.rejectedByID, t.rejectedAt = RejectReason, signers[len(signers)-1].ID, now()
			s.mu.Unlock()
			s.ledger.Signer(t.id, signers[len(signers)-1].Email, simkit.SignerRejected, RejectReason)
			s.playEvent(t, "transaction_rejected", map[string]any{"id": t.id, "status": "rejected", "rejected_by": person(signers[len(signers)-1]),
				"rejected_reason": RejectReason})
		}
	case ScenarioCancel:
		if s.pauseFor(t) {
			s.set(t, autosign.StatusCancelled)
			s.ledger.End(t.id, simkit.OutcomeCancelled, "Campos incorrectos en el documento")
			s.playEvent(t, "transaction_cancelled", map[string]any{"id": t.id, "status": "cancelled", "cancelled_reason": "Campos incorrectos en el documento", "cancelled_at": now()})
		}
	case ScenarioExpire:
		if s.pauseFor(t) {
			s.set(t, autosign.StatusExpired)
			s.ledger.End(t.id, simkit.OutcomeExpired, "")
			s.playEvent(t, "transaction_expired", map[string]any{"id": t.id, "status": "expired", "expiration_days": nil, "expired_at": now()})
		}
	}
}

func person(r autosign.Recipient) map[string]string {
	return map[string]string{"id": r.ID, "email": r.Email, "name": r.Name, "role": r.Role, "submitted_at": now()}
}

func (s *Simulator) set(t *tx, status string) {
	s.mu.Lock()
	t.status = status
	s.mu.Unlock()
}

func (s *Simulator) pause() bool {
	select {
	case <-s.ctx.Done():
		return false
	case <-time.After(s.opts.StepDelay):
		return true
	}
}

// event posts an event to the transaction's notification_endpoint.
func (s *Simulator) event(t *tx, typ string, data map[string]any) bool {
	if t.endpoint == "" {
		return false
	}
	id := cuid()
	body, _ := json.Marshal(map[string]any{"created": now(), "id": id, "type": typ, "data": data})
	posted := time.Now()
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	if s.opts.WebhookSecret != "" {
		h.Set("X-Firmaflow-Token", s.opts.WebhookSecret)
	}
	res := s.faults.Deliver(s.ctx, s.client, simkit.Delivery{URL: t.endpoint, Body: body, Header: h,
		Attempts: s.opts.DeliveryAttempts, Backoff: s.opts.RetryBackoff}, nil)
	s.posted(t, id, typ, data, posted, res)
	s.mu.Lock()
	t.counts.WebhooksRefused += res.Refused
	if res.Delivered {
		t.delivered = append(t.delivered, typ)
	}
	s.mu.Unlock()
	return res.Delivered
}
