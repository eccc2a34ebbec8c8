// Package contractualissim is an in-memory Contractualis: login with API key
// and JWT, generate-document, get-details-document, delete-draft,
// users/tokens, get-ready-documents and finish-ready-document, downloads of
// the completed document and its evidence, and the four webhooks, posted to a
// bridge with the shared secret in X-Firmaflow-Token.
//
// The scenario is named in the document name as "[sim:NAME]", else the
// default applies:
//
//	sign       every signer signs; the document goes to blockchain and completes
//	no-tokens  after everyone signs the account is out of tokens: account.notokens
//	           is posted and the document waits as ready until tokens come back
//	           (after RestoreTokensAfter balance checks, or POST /sim/tokens) and
//	           finish-ready-document is called
//	manual     nothing happens by itself
//
// Each finished document spends one token; Counts.TokensSpent makes a second
// spend for one document visible.
package contractualissim

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/firmaflow/firmaflow/providers/contractualis"
	"github.com/firmaflow/firmaflow/simulators/simkit"
)

// Scenario names.
const (
	ScenarioSign     = "sign"
	ScenarioNoTokens = "no-tokens"
	ScenarioManual   = "manual"
)

// Options configure a Simulator.
type Options struct {
	APIKey, Email, Password string
	WebhookURL              string
	WebhookSecret           string
	DefaultScenario         string
	StepDelay               time.Duration
	// Tokens is the account's starting balance (default 100).
	Tokens int
	// RestoreTokensAfter: in the no-tokens scenario, the balance comes back
	// (to Tokens) after this many /users/tokens calls (default 2).
	RestoreTokensAfter int
	DeliveryAttempts   int
	RetryBackoff       time.Duration
	// Faults inject API failures and duplicated, reordered webhooks.
	Faults simkit.Faults
	Logger *slog.Logger
}

// Simulator is an in-memory Contractualis.
type Simulator struct {
	opts   Options
	mux    *http.ServeMux
	client *http.Client
	faults *simkit.Injector
	ctx    context.Context
	stop   context.CancelFunc
	wg     sync.WaitGroup

	mu          sync.Mutex
	docs        map[string]*document
	tokens      int
	tokenChecks int
	logins      int
	jwts        map[string]bool

	persister *simkit.Persister // nil unless Persist was called
	ledger    *simkit.Ledger
}

type document struct {
	id, name, scenario, baseURL, subaccount string
	signers                                 []contractualis.Signer
	attachments                             []string
	status                                  string // Borrador, ready, Pendiente, Completado, Eliminado
	created                                 time.Time
	signed, evidence                        []byte
	counts                                  Counts
	webhooks                                []string
	replay                                  simkit.Replay // webhooks posted by the scenario (persist.go)
	finished                                bool
	playSteps                               int
}

// Counts are what the simulator saw done to one document.
type Counts struct {
	simkit.Counts
	TokensSpent int `json:"tokens_spent"`
	FinishCalls int `json:"finish_calls"`
}

// ProcessView is a document as tests and /sim/processes see it.
type ProcessView struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Scenario     string   `json:"scenario"`
	Status       string   `json:"status"`
	Subaccount   string   `json:"subaccount,omitempty"`
	Signers      []string `json:"signers"`
	Attachments  []string `json:"attachments"`
	Counts       Counts   `json:"counts"`
	Webhooks     []string `json:"webhooks_delivered"`
	SignedSHA256 []string `json:"signed_sha256"`
}

// New returns a simulator; Close stops its scenarios.
func New(opts Options) *Simulator {
	if opts.StepDelay <= 0 {
		opts.StepDelay = 50 * time.Millisecond
	}
	if opts.Tokens == 0 {
		opts.Tokens = 100
	}
	if opts.RestoreTokensAfter <= 0 {
		opts.RestoreTokensAfter = 2
	}
	if opts.DeliveryAttempts <= 0 {
		opts.DeliveryAttempts = 20
	}
	if opts.RetryBackoff <= 0 {
		opts.RetryBackoff = 100 * time.Millisecond
	}
	if opts.DefaultScenario == "" {
		opts.DefaultScenario = ScenarioSign
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	ctx, stop := context.WithCancel(context.Background())
	s := &Simulator{opts: opts, mux: http.NewServeMux(), client: &http.Client{Timeout: 30 * time.Second},
		ctx: ctx, stop: stop, docs: map[string]*document{}, tokens: opts.Tokens, jwts: map[string]bool{},
		faults: simkit.NewInjector(opts.Faults), ledger: simkit.NewLedger(contractualis.Name)}
	s.mux.Handle("GET /sim/ledger", s.ledger)
	s.mux.HandleFunc("POST /users/login", s.login)
	s.mux.HandleFunc("POST /users/tokens", s.auth(s.balance))
	s.mux.HandleFunc("POST /documents/generate-document", s.auth(s.generate))
	s.mux.HandleFunc("POST /documents/get-details-document", s.auth(s.details))
	s.mux.HandleFunc("POST /documents/delete-draft", s.auth(s.deleteDraft))
	s.mux.HandleFunc("POST /documents/get-ready-documents", s.auth(s.ready))
	s.mux.HandleFunc("POST /documents/get-documents", s.auth(s.list))
	s.mux.HandleFunc("POST /documents/finish-ready-document", s.auth(s.finish))
	s.mux.HandleFunc("GET /sim/files/{id}/{kind}", s.file)
	s.mux.HandleFunc("GET /sim/processes", func(w http.ResponseWriter, _ *http.Request) { simkit.WriteJSON(w, 200, s.Processes()) })
	s.mux.HandleFunc("POST /sim/tokens", s.setTokens)
	s.mux.HandleFunc("POST /sim/sessions/expire", func(w http.ResponseWriter, _ *http.Request) { s.ExpireSessions(); w.WriteHeader(204) })
	return s
}

// Handler serves the simulated API.
func (s *Simulator) Handler() http.Handler { return s.faults.Middleware(s.mux) }

// SetWebhookURL points the webhooks at a bridge.
func (s *Simulator) SetWebhookURL(u string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.WebhookURL = u
}

// Close stops running scenarios and waits for them.
func (s *Simulator) Close() {
	s.stop()
	s.wg.Wait()
	if err := s.persister.Close(); err != nil {
		s.opts.Logger.Error("contractualis sim: final state not saved", "error", err)
	}
}

// ExpireSessions invalidates every JWT issued so far (the next call gets 401).
func (s *Simulator) ExpireSessions() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.jwts = map[string]bool{}
}

// Logins counts successful logins.
func (s *Simulator) Logins() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logins
}

// Process returns a view of a document.
func (s *Simulator) Process(id string) (ProcessView, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.docs[id]
	if !ok {
		return ProcessView{}, false
	}
	return d.view(), true
}

// Processes returns views of every document.
func (s *Simulator) Processes() []ProcessView {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ProcessView, 0, len(s.docs))
	for _, d := range s.docs {
		out = append(out, d.view())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func (d *document) view() ProcessView {
	v := ProcessView{ID: d.id, Name: d.name, Scenario: d.scenario, Status: d.status, Subaccount: d.subaccount,
		Attachments: d.attachments, Counts: d.counts, Webhooks: append([]string(nil), d.webhooks...)}
	for _, sg := range d.signers {
		v.Signers = append(v.Signers, sg.Email)
	}
	if d.signed != nil {
		sum := sha256.Sum256(d.signed)
		v.SignedSHA256 = []string{hex.EncodeToString(sum[:])}
	}
	return v
}

func reply(w http.ResponseWriter, code int, msg string, fields map[string]any) {
	body := map[string]any{"status_code": fmt.Sprint(code), "status_msg": msg}
	for k, v := range fields {
		body[k] = v
	}
	simkit.WriteJSON(w, http.StatusOK, body) // Contractualis reports errors in status_code
}

func randomID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b) // Base64 ids ("...=="), like the provider's
}

func (s *Simulator) login(w http.ResponseWriter, r *http.Request) {
	var req contractualis.LoginRequest
	json.NewDecoder(r.Body).Decode(&req)
	if r.Header.Get("x-api-key") != s.opts.APIKey || req.Email != s.opts.Email || req.Password != s.opts.Password {
		reply(w, 401, "Invalid credentials", nil)
		return
	}
	claims, _ := json.Marshal(map[string]int64{"exp": time.Now().Add(time.Hour).Unix()})
	jwt := "eyJhbGciOiJIUzI1NiJ9." + base64.RawURLEncoding.EncodeToString(claims) + "." + randomID()
	s.mu.Lock()
	s.jwts[jwt] = true
	s.logins++
	s.mu.Unlock()
	reply(w, 200, "", map[string]any{"jwt": jwt})
}

func (s *Simulator) auth(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		jwt := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.mu.Lock()
		ok := s.jwts[jwt]
		s.mu.Unlock()
		if r.Header.Get("x-api-key") != s.opts.APIKey || !ok {
			reply(w, 401, "Unauthorized", nil)
			return
		}
		next(w, r)
	}
}

var scenarioTag = regexp.MustCompile(`\[sim:([a-z-]+)\]`)

func (s *Simulator) generate(w http.ResponseWriter, r *http.Request) {
	var req contractualis.GenerateRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 150<<20)).Decode(&req); err != nil {
		reply(w, 400, "Invalid JSON", nil)
		return
	}
	pdf, ok := decodePDF(req.File)
	if req.Email != s.opts.Email || req.Name == "" || len(req.Signers) == 0 || !ok {
		reply(w, 400, "Missing or invalid fields: email, name, signers, file", nil)
		return
	}
	for _, sg := range req.Signers {
		if sg.Email == "" || (sg.IDSavedSigner == "" && sg.Name == "") {
			reply(w, 400, "Invalid signer", nil)
			return
		}
	}
	d := &document{id: randomID(), name: req.Name, subaccount: req.Subaccount, signers: req.Signers,
		status: contractualis.StatusDraft, baseURL: "http://" + r.Host, scenario: s.opts.DefaultScenario, created: time.Now().UTC()}
	for _, a := range req.Attachments {
		if _, ok := decodePDF(a.Data); !ok || a.Filename == "" {
			reply(w, 400, "Invalid attachment", nil)
			return
		}
		d.attachments = append(d.attachments, a.Filename)
	}
	scenario, _, err := simkit.Scenario(req.Name, s.opts.DefaultScenario, scenarioTag, Scenarios)
	if err != nil {
		reply(w, 400, err.Error(), nil)
		return
	}
	d.scenario = scenario
	d.signed = append(append([]byte(nil), pdf...), []byte("\n% Contractualis simulator: signed and sealed "+d.id+"\n%%EOF\n")...)
	d.evidence = []byte("%PDF-1.4\n% evidence for " + d.id + "\n%%EOF\n")
	s.mu.Lock()
	s.docs[d.id] = d
	s.mu.Unlock()
	s.open(d)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.play(d)
	}()
	reply(w, 200, "The document was created and the signers was notified.", map[string]any{"id": d.id})
}

func decodePDF(dataURI string) ([]byte, bool) {
	b64, ok := strings.CutPrefix(dataURI, "data:application/pdf;base64,")
	if !ok {
		return nil, false
	}
	pdf, err := base64.StdEncoding.DecodeString(b64)
	return pdf, err == nil && bytes.HasPrefix(pdf, []byte("%PDF"))
}

func (s *Simulator) lookup(w http.ResponseWriter, r *http.Request) *document {
	var req contractualis.DocumentRequest
	json.NewDecoder(r.Body).Decode(&req)
	s.mu.Lock()
	d := s.docs[req.ID]
	s.mu.Unlock()
	if d == nil {
		reply(w, 404, "Document not found", nil)
	}
	return d
}

func (s *Simulator) details(w http.ResponseWriter, r *http.Request) {
	d := s.lookup(w, r)
	if d == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	status := d.status
	if status == "ready" {
		status = contractualis.StatusDraft
	}
	reply(w, 200, "", map[string]any{"data": map[string]any{"iddocument": d.id, "documentname": d.name, "status": status, "step": "notifications"}})
}

func (s *Simulator) deleteDraft(w http.ResponseWriter, r *http.Request) {
	d := s.lookup(w, r)
	if d == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d.counts.Cancels++
	if d.status != contractualis.StatusDraft && d.status != "ready" {
		s.ledger.Call(d.id, simkit.CallCancel, http.StatusBadRequest)
		reply(w, 400, "The document is not a draft", nil)
		return
	}
	d.status = contractualis.StatusDeleted
	s.ledger.Call(d.id, simkit.CallCancel, http.StatusOK)
	s.ledger.End(d.id, simkit.OutcomeWithdrawn, "")
	reply(w, 200, "The document was successfully deleted", nil)
}

func (s *Simulator) balance(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokenChecks++
	if s.tokens == 0 && s.tokenChecks >= s.opts.RestoreTokensAfter {
		s.tokens = s.opts.Tokens
	}
	reply(w, 200, "", map[string]any{"tokens": fmt.Sprint(s.tokens)})
}

func (s *Simulator) setTokens(w http.ResponseWriter, r *http.Request) {
	var req struct{ Tokens int }
	json.NewDecoder(r.Body).Decode(&req)
	s.mu.Lock()
	s.tokens = req.Tokens
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (s *Simulator) ready(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	records := []map[string]string{}
	for _, d := range s.docs {
		if d.status == "ready" {
			records = append(records, map[string]string{"id": d.id, "name": d.name, "creator": s.opts.Email, "tokentime": "t-" + d.id})
		}
	}
	reply(w, 200, "", map[string]any{"records": records})
}

func (s *Simulator) finish(w http.ResponseWriter, r *http.Request) {
	d := s.lookup(w, r)
	if d == nil {
		return
	}
	s.mu.Lock()
	d.counts.FinishCalls++
	switch {
	case d.status != "ready":
		s.mu.Unlock()
		reply(w, 400, "The document is not ready", nil)
		return
	case s.tokens == 0:
		s.mu.Unlock()
		reply(w, 402, "Not enough tokens", nil)
		return
	}
	s.spend(d)
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.seal(d)
	}()
	reply(w, 200, "", map[string]any{"id": d.id})
}

// spend takes a token for d and sends it to blockchain; s.mu is held.
func (s *Simulator) spend(d *document) {
	s.tokens--
	d.counts.TokensSpent++
	d.status = contractualis.StatusPending
	s.ledger.Call(d.id, simkit.CallTokenSpend, http.StatusOK)
}

func (s *Simulator) file(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.docs[r.PathValue("id")]
	if d == nil || d.status != contractualis.StatusCompleted {
		http.NotFound(w, r)
		return
	}
	d.counts.Downloads++
	w.Header().Set("Content-Type", "application/pdf")
	if r.PathValue("kind") == "document" {
		s.ledger.Served(d.id, r.URL.Path, d.signed)
		w.Write(d.signed)
		return
	}
	s.ledger.Served(d.id, r.URL.Path, d.evidence)
	w.Write(d.evidence)
}
