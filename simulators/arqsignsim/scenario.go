package arqsignsim

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/firmaflow/firmaflow/providers/arqsign"
	"github.com/firmaflow/firmaflow/simulators/simkit"
)

// play runs a process's scenario until it ends or the simulator closes.
func (s *Simulator) play(p *process) {
	defer s.played(p)
	if !s.step(p, arqsign.TriggerSent, nil) {
		return
	}
	first, last := p.signers[0], p.signers[len(p.signers)-1]
	switch p.scenario {
	case ScenarioSign:
		s.signAllAndComplete(p)
	case ScenarioDeliveryFailure:
		if s.step(p, arqsign.TriggerDeliveryFailed, last) && s.waitResume(p) && s.step(p, arqsign.TriggerResent, nil) {
			s.signAllAndComplete(p)
		}
	case ScenarioReject:
		if len(p.signers) > 1 && !s.step(p, arqsign.TriggerSigned, first) {
			return
		}
		s.step(p, arqsign.TriggerRejected, last)
	case ScenarioCancel:
		s.step(p, arqsign.TriggerCancelled, nil)
	case ScenarioExpire:
		if s.step(p, arqsign.TriggerExpired, nil) && s.waitResume(p) && s.step(p, arqsign.TriggerResent, nil) {
			s.signAllAndComplete(p)
		}
	case ScenarioExpireAlways:
		for s.step(p, arqsign.TriggerExpired, nil) && s.waitResume(p) && s.step(p, arqsign.TriggerResent, nil) {
		}
	case ScenarioLostCompletion:
		for _, sg := range p.signers {
			if !s.step(p, arqsign.TriggerSigned, sg) {
				return
			}
		}
		s.mu.Lock()
		s.apply(p, arqsign.TriggerCompleted, nil) // completed, but nobody is told
		s.mu.Unlock()
	case ScenarioManual, ScenarioEarly:
	default:
		s.opts.Logger.Warn("arqsign sim: unknown scenario; nothing will happen", "scenario", p.scenario)
	}
}

func (s *Simulator) signAllAndComplete(p *process) {
	for _, sg := range p.signers {
		if !s.step(p, arqsign.TriggerSigned, sg) {
			return
		}
	}
	s.step(p, arqsign.TriggerCompleted, nil)
}

// step waits StepDelay, applies a trigger to the process and posts its
// webhook. It returns false when the scenario should stop: the simulator
// closed, or the process was cancelled meanwhile.
func (s *Simulator) step(p *process, trigger int, who *signer) bool {
	if s.replayed(p) {
		return true
	}
	select {
	case <-s.ctx.Done():
		return false
	case <-time.After(s.opts.StepDelay):
	}
	s.mu.Lock()
	if p.status == arqsign.StatusCancelled && trigger != arqsign.TriggerCancelled {
		s.mu.Unlock()
		return false
	}
	s.apply(p, trigger, who)
	s.mu.Unlock()
	s.stepTaken(p, s.post(p, trigger, who))
	return true
}

// waitResume waits for a reenviar-processo call (resend or renewal).
func (s *Simulator) waitResume(p *process) bool {
	if s.replaying(p) {
		return true
	}
	select {
	case <-s.ctx.Done():
		return false
	case <-p.resume:
		return true
	}
}

// apply changes the process as the trigger says; s.mu is held.
func (s *Simulator) apply(p *process, trigger int, who *signer) {
	switch trigger {
	case arqsign.TriggerDeliveryFailed:
		who.Failed = true
		s.ledger.Signer(p.id, who.Email, simkit.SignerDeliveryFailed, "")
	case arqsign.TriggerSigned:
		who.Signed, who.SignedAt = true, stamp()
		s.ledger.Signer(p.id, who.Email, simkit.SignerSigned, "")
		p.status = arqsign.StatusInProgress
	case arqsign.TriggerRejected:
		who.Rejected = true
		s.ledger.Signer(p.id, who.Email, simkit.SignerRejected, RejectReason)
		p.status = arqsign.StatusCancelled // ArqSIGN files a refusal as Cancelado
	case arqsign.TriggerCancelled:
		p.status = arqsign.StatusCancelled
		s.ledger.End(p.id, simkit.OutcomeCancelled, "")
	case arqsign.TriggerExpired:
		p.expired = true
		s.ledger.End(p.id, simkit.OutcomeExpired, "")
	case arqsign.TriggerCompleted:
		for _, sg := range p.signers {
			if !sg.Signed {
				sg.Signed, sg.SignedAt = true, stamp()
				s.ledger.Signer(p.id, sg.Email, simkit.SignerSigned, "")
			}
		}
		p.status = arqsign.StatusCompleted
		s.issue(p)
	}
}

// payload builds the webhook body for a trigger; s.mu is held.
func (s *Simulator) payload(p *process, trigger int, who *signer) arqsign.WebhookPayload {
	wp := arqsign.WebhookPayload{
		Evento: arqsign.TriggerNames[trigger], IDEvento: trigger, IDProcesso: p.id,
		IDConta: "00000000-0000-0000-0000-00000000000a", IDWebhook: "00000000-0000-0000-0000-00000000000b",
		DataHoraAtual: stamp()[:19], NomeProcesso: p.name,
		StatusProcesso: statusName(p.status), IDStatusProcesso: p.status,
		DataReenvio: p.dataReenvio, DataRenovacao: p.dataRenovacao,
	}
	toWire := func(sg *signer) arqsign.WebhookSigner {
		ws := arqsign.WebhookSigner{ID: sg.ID, Nome: sg.Name, Email: sg.Email, Telefone: sg.Phone,
			Assinado: sg.Signed, DataAssinatura: sg.SignedAt, FalhaEnvio: sg.Failed, AssinaturaRecusada: sg.Rejected}
		if sg.Rejected {
			ws.MotivoRecusa = RejectReason
		}
		return ws
	}
	// With triggers 2 and 3 ArqSIGN sends only the affected signer.
	if who != nil && (trigger == arqsign.TriggerDeliveryFailed || trigger == arqsign.TriggerSigned) {
		wp.Signatarios = []arqsign.WebhookSigner{toWire(who)}
	} else {
		for _, sg := range p.signers {
			wp.Signatarios = append(wp.Signatarios, toWire(sg))
		}
	}
	if trigger == arqsign.TriggerCompleted {
		for i, d := range p.docs {
			wd := arqsign.WebhookDocument{ID: fmt.Sprintf("%s-%d", p.id, i), OrdemDocumento: i + 1, NomeDocumento: d.name,
				RegistroAssinaturas: &arqsign.WebhookSignatureLog{Nome: "registro-" + d.name}}
			if p.base64 {
				wd.Base64Documento = base64.StdEncoding.EncodeToString(d.signed)
				wd.RegistroAssinaturas.Base64 = base64.StdEncoding.EncodeToString(d.record)
			} else {
				wd.LinkParaBaixarDocumento = fmt.Sprintf("%s/sim/files/%s/%d/signed", p.baseURL, p.id, i)
				wd.RegistroAssinaturas.LinkParaBaixar = fmt.Sprintf("%s/sim/files/%s/%d/record", p.baseURL, p.id, i)
			}
			wp.Documentos = append(wp.Documentos, wd)
		}
	}
	return wp
}

// post delivers a webhook, redelivering with backoff until the bridge
// answers 2xx, like ArqSIGN does (compressed in time).
func (s *Simulator) post(p *process, trigger int, who *signer) bool {
	s.mu.Lock()
	body, _ := json.Marshal(s.payload(p, trigger, who))
	target := s.opts.WebhookURL
	s.mu.Unlock()
	if target == "" {
		return false
	}
	sub := "/monitoring"
	if trigger == arqsign.TriggerCompleted {
		sub = "/completion"
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("HMAC", arqsign.Sign(body, s.opts.WebhookSecret))
	// Like ArqSIGN: 401, 403 and 404 deactivate the webhook; no retry.
	posted := time.Now()
	res := s.faults.Deliver(s.ctx, s.client, simkit.Delivery{URL: target + sub, Body: body, Header: h,
		Attempts: s.opts.DeliveryAttempts, Backoff: s.opts.RetryBackoff},
		func(code int) bool { return code == 401 || code == 403 || code == 404 })
	s.posted(p, trigger, who, body, posted, res)
	s.mu.Lock()
	p.counts.WebhooksRefused += res.Refused
	if res.Delivered {
		p.webhooks = append(p.webhooks, trigger)
	}
	s.mu.Unlock()
	if !res.Delivered {
		s.opts.Logger.Warn("arqsign sim: webhook undelivered", "trigger", trigger, "process", p.id, "final", res.Final)
	}
	return res.Delivered
}
