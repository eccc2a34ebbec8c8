package fakeprovider

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/simulators/simkit"
)

// Simulator plays the provider: every process it is sent is signed by each
// signer in turn and completed, each step a webhook to the bridge.
type Simulator struct {
	apiKey, webhookURL, webhookSecret string
	step                              time.Duration
	log                               *slog.Logger
	ctx                               context.Context
	stop                              context.CancelFunc
	wg                                sync.WaitGroup

	mu    sync.Mutex
	procs map[string]*simProcess
}

type simProcess struct {
	signed    []byte
	completed bool
}

func startSimulator(o providers.SimOptions) (providers.RunningSimulator, error) {
	c, ok := o.Section.(*Config)
	if !ok {
		return nil, fmt.Errorf("%s simulator: dev section is %T, not *Config", Name, o.Section)
	}
	ctx, stop := context.WithCancel(context.Background())
	return &Simulator{apiKey: c.APIKey, webhookURL: o.WebhookURL, webhookSecret: c.WebhookSecret,
		step: o.StepDelay, log: o.Logger, ctx: ctx, stop: stop, procs: map[string]*simProcess{}}, nil
}

// SignedPDF is the result document the simulator serves for ref.
func (s *Simulator) SignedPDF(ref string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.procs[ref]
	if !ok {
		return nil, false
	}
	return p.signed, true
}

// Handler serves the API: POST /send, GET /status/{ref}, GET /documents/{ref}.
func (s *Simulator) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /send", s.auth(s.send))
	mux.HandleFunc("GET /status/{ref}", s.auth(s.status))
	mux.HandleFunc("GET /documents/{ref}", s.auth(s.document))
	return mux
}

func (s *Simulator) auth(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Api-Key") != s.apiKey {
			http.Error(w, "bad API key", http.StatusUnauthorized)
			return
		}
		next(w, r)
	}
}

func (s *Simulator) send(w http.ResponseWriter, r *http.Request) {
	var req sendRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Document) == 0 || len(req.Signers) == 0 {
		http.Error(w, "want a document and signers", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	ref := fmt.Sprintf("fk-%d", len(s.procs)+1)
	signed := append(bytes.Clone(req.Document), []byte("\n% signed at "+Name+" as "+ref+"\n")...)
	s.procs[ref] = &simProcess{signed: signed}
	s.mu.Unlock()
	docURL := "http://" + r.Host + "/documents/" + ref
	sum := sha256.Sum256(signed)
	s.wg.Add(1)
	go s.play(ref, req.Signers, docURL, hex.EncodeToString(sum[:]))
	json.NewEncoder(w).Encode(map[string]string{"ref": ref})
}

// play sends a signed webhook per signer, then the completion.
func (s *Simulator) play(ref string, signers []string, docURL, sha string) {
	defer s.wg.Done()
	for i, email := range signers {
		s.notify(webhook{ID: fmt.Sprintf("%s-signed-%d", ref, i+1), Ref: ref, Type: "signed", Signer: email})
	}
	s.mu.Lock()
	s.procs[ref].completed = true
	s.mu.Unlock()
	s.notify(webhook{ID: ref + "-completed", Ref: ref, Type: "completed", DocumentURL: docURL, SHA256: sha})
}

// notify posts one webhook after a step, trying again until it is answered 2xx.
func (s *Simulator) notify(hook webhook) {
	raw, _ := json.Marshal(hook)
	for attempt := 1; attempt <= 20; attempt++ {
		select {
		case <-s.ctx.Done():
			return
		case <-time.After(max(s.step, 50*time.Millisecond) * time.Duration(attempt)):
		}
		req, _ := http.NewRequestWithContext(s.ctx, http.MethodPost, s.webhookURL, bytes.NewReader(raw))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Firmaflow-Token", s.webhookSecret)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				return
			}
		}
		s.log.Warn("webhook not accepted; trying again", "id", hook.ID, "attempt", attempt)
	}
}

func (s *Simulator) status(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	p, ok := s.procs[r.PathValue("ref")]
	done := ok && p.completed
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	status := "pending"
	if done {
		status = "completed"
	}
	json.NewEncoder(w).Encode(map[string]string{"status": status})
}

func (s *Simulator) document(w http.ResponseWriter, r *http.Request) {
	pdf, ok := s.SignedPDF(r.PathValue("ref"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Write(pdf)
}

// Close stops the webhooks still to be sent.
func (s *Simulator) Close() {
	s.stop()
	s.wg.Wait()
}

// LedgerOf and Ledger: this simulator keeps no ledger (tests check its
// served document instead).
func (s *Simulator) LedgerOf(string) (simkit.ProcessLedger, bool) {
	return simkit.ProcessLedger{}, false
}

func (s *Simulator) Ledger() []simkit.ProcessLedger { return nil }
