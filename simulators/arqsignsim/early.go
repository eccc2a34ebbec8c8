package arqsignsim

import (
	"sync"

	"github.com/firmaflow/firmaflow/providers/arqsign"
)

// ScenarioEarly: every signer but the last signs before ArqSIGN has even
// answered the send. The webhooks reach firmaflow before it knows which
// process owns them, so the bridge must hold them (EventInbox) and hand
// them over intact, each naming its own signer. The last signer then acts
// on a manual trigger.
const ScenarioEarly = "early"

// early plays the early signatures inside the send call, all at once, so
// that events naming different signers reach the inbox together.
func (s *Simulator) early(p *process) {
	if p.scenario != ScenarioEarly {
		return
	}
	var wg sync.WaitGroup
	for _, sg := range p.signers[:len(p.signers)-1] {
		s.mu.Lock()
		s.apply(p, arqsign.TriggerSigned, sg)
		s.mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.post(p, arqsign.TriggerSigned, sg)
		}()
	}
	wg.Wait()
}
