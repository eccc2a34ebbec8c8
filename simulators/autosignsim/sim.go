// Package autosignsim is an in-memory Autosign: OAuth refresh, file upload,
// the transaction steps (create, documents or templates, update, fields,
// start, which it checks are taken in order), transaction detail, sealed
// document downloads, webhook registration, and the seven events posted to
// each transaction's notification_endpoint.
//
// The scenario is named in the transaction name as "[sim:NAME]", else the
// default applies: sign, reject, cancel, expire, manual.
package autosignsim

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/firmaflow/firmaflow/providers/autosign"
	"github.com/firmaflow/firmaflow/simulators/simkit"
)

// Scenario names.
const (
	ScenarioSign   = "sign"
	ScenarioReject = "reject"
	ScenarioCancel = "cancel"
	ScenarioExpire = "expire"
	ScenarioManual = "manual"
)

// RejectReason is what the reject scenario's signer says.
const RejectReason = "El monto no coincide"

// Options configure a Simulator.
type Options struct {
	ClientID, ClientSecret, RefreshToken string
	// TokenTTL is the access tokens' lifetime (default 1h).
	TokenTTL        time.Duration
	DefaultScenario string
	StepDelay       time.Duration
	// WebhookSecret is sent as X-Firmaflow-Token besides the endpoint's own token.
	WebhookSecret    string
	DeliveryAttempts int
	RetryBackoff     time.Duration
	Faults           simkit.Faults
	Logger           *slog.Logger
}

// Simulator is an in-memory Autosign.
type Simulator struct {
	opts   Options
	mux    *http.ServeMux
	client *http.Client
	faults *simkit.Injector
	ctx    context.Context
	stop   context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	files    map[string][]byte
	txs      map[string]*tx
	access   map[string]time.Time
	refresh  int
	webhooks []autosign.CreateWebhook

	persister *simkit.Persister // nil unless Persist was called
	ledger    *simkit.Ledger
}

type tx struct {
	id, name, endpoint, scenario, baseURL string
	steps                                 []string
	docs                                  [][]byte
	templates                             int
	recipients                            []autosign.Recipient
	fields                                int
	status                                string
	sealed                                []byte
	counts                                Counts
	delivered                             []string
	replay                                simkit.Replay // scenario events posted (persist.go)
	finished                              bool
	// rejected* are served by the transaction detail, as Autosign's is.
	rejectedReason, rejectedByID, rejectedAt string
}

// Counts are what the simulator saw done to one process.
type Counts = simkit.Counts

// ProcessView is a transaction as tests see it.
type ProcessView struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Scenario     string   `json:"scenario"`
	Status       string   `json:"status"`
	Steps        []string `json:"steps"`
	Recipients   int      `json:"recipients"`
	Fields       int      `json:"fields"`
	Templates    int      `json:"templates"`
	Counts       Counts   `json:"counts"`
	Webhooks     []string `json:"webhooks_delivered"`
	SignedSHA256 []string `json:"signed_sha256"`
}

// New returns a simulator; Close stops its scenarios.
func New(opts Options) *Simulator {
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = time.Hour
	}
	if opts.StepDelay <= 0 {
		opts.StepDelay = 50 * time.Millisecond
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
		faults: simkit.NewInjector(opts.Faults), ctx: ctx, stop: stop,
		files: map[string][]byte{}, txs: map[string]*tx{}, access: map[string]time.Time{}, ledger: simkit.NewLedger(autosign.Name)}
	s.mux.Handle("GET /sim/ledger", s.ledger)
	s.mux.HandleFunc("POST /v1/oauth/refresh", s.refreshToken)
	s.mux.HandleFunc("POST /v1/files", s.auth(s.upload))
	s.mux.HandleFunc("POST /v1/transactions", s.auth(s.create))
	s.mux.HandleFunc("POST /v1/transactions/{id}/documents", s.auth(s.addDocument))
	s.mux.HandleFunc("POST /v1/transactions/{id}/templates", s.auth(s.useTemplates))
	s.mux.HandleFunc("PUT /v1/transactions/{id}", s.auth(s.update))
	s.mux.HandleFunc("PUT /v1/transactions/{id}/fields", s.auth(s.setFields))
	s.mux.HandleFunc("POST /v1/transactions/{id}/start", s.auth(s.start))
	s.mux.HandleFunc("GET /v1/transactions/{id}", s.auth(s.detail))
	s.mux.HandleFunc("GET /v1/transactions/{id}/sealed-documents/{doc}", s.auth(s.sealedDocument))
	s.mux.HandleFunc("POST /v1/webhooks", s.auth(s.createWebhook))
	s.mux.HandleFunc("GET /v1/webhooks", s.auth(s.listWebhooks))
	return s
}

// Handler serves the simulated API (with any injected faults).
func (s *Simulator) Handler() http.Handler { return s.faults.Middleware(s.mux) }

// Close stops running scenarios and waits for them.
func (s *Simulator) Close() {
	s.stop()
	s.wg.Wait()
	if err := s.persister.Close(); err != nil {
		s.opts.Logger.Error("autosign sim: final state not saved", "error", err)
	}
}

// ExpireTokens invalidates every access token (the next call gets 401).
func (s *Simulator) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.access = map[string]time.Time{}
}

// Refreshes counts token refreshes.
func (s *Simulator) Refreshes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refresh
}

// Process returns a view of a transaction.
func (s *Simulator) Process(id string) (ProcessView, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.txs[id]
	if !ok {
		return ProcessView{}, false
	}
	v := ProcessView{ID: t.id, Name: t.name, Scenario: t.scenario, Status: t.status, Steps: append([]string(nil), t.steps...),
		Recipients: len(t.recipients), Fields: t.fields, Templates: t.templates, Counts: t.counts, Webhooks: append([]string(nil), t.delivered...)}
	if t.sealed != nil {
		sum := sha256.Sum256(t.sealed)
		v.SignedSHA256 = []string{hex.EncodeToString(sum[:])}
	}
	return v, true
}

// Processes lists every transaction id.
func (s *Simulator) Processes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.txs))
	for id := range s.txs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func cuid() string {
	b := make([]byte, 12)
	rand.Read(b)
	return "c" + hex.EncodeToString(b)
}

func (s *Simulator) refreshToken(w http.ResponseWriter, r *http.Request) {
	var req autosign.RefreshRequest
	json.NewDecoder(r.Body).Decode(&req)
	if req.ClientID != s.opts.ClientID || req.ClientSecret != s.opts.ClientSecret || req.RefreshToken != s.opts.RefreshToken {
		http.Error(w, `{"message":"invalid_grant"}`, http.StatusUnauthorized)
		return
	}
	tok := cuid()
	s.mu.Lock()
	s.access[tok] = time.Now().Add(s.opts.TokenTTL)
	s.refresh++
	s.mu.Unlock()
	simkit.WriteJSON(w, http.StatusOK, autosign.TokenResponse{AccessToken: tok, ExpiresIn: int64(s.opts.TokenTTL / time.Second)})
}

func (s *Simulator) auth(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.mu.Lock()
		exp, ok := s.access[tok]
		s.mu.Unlock()
		if !ok || time.Now().After(exp) {
			http.Error(w, `{"message":"Unauthorized"}`, http.StatusUnauthorized)
			return
		}
		next(w, r)
	}
}

func (s *Simulator) upload(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 10<<20+1<<16)
	f, _, err := r.FormFile("file")
	if err != nil {
		http.Error(w, `{"message":"file is required (10 MB at most)"}`, http.StatusBadRequest)
		return
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil || len(b) > 10<<20 || !bytes.HasPrefix(b, []byte("%PDF")) || r.FormValue("name") == "" {
		http.Error(w, `{"message":"a PDF of at most 10 MB and a name are required"}`, http.StatusBadRequest)
		return
	}
	token := "ft_" + cuid()
	s.mu.Lock()
	s.files[token] = b
	s.mu.Unlock()
	simkit.WriteJSON(w, http.StatusCreated, autosign.UploadResponse{Token: token})
}

var scenarioTag = regexp.MustCompile(`\[sim:([a-z-]+)\]`)

func (s *Simulator) create(w http.ResponseWriter, r *http.Request) {
	var req autosign.CreateTransaction
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Name == "" || len(req.NotificationEndpoint) > 255 {
		http.Error(w, `{"message":"name is required; notification_endpoint at most 255 characters"}`, http.StatusBadRequest)
		return
	}
	scenario, _, err := simkit.Scenario(req.Name, s.opts.DefaultScenario, scenarioTag, Scenarios)
	if err != nil {
		simkit.RefuseScenario(w, "message", err)
		return
	}
	t := &tx{id: cuid(), name: req.Name, endpoint: req.NotificationEndpoint, status: autosign.StatusDraft,
		scenario: scenario, baseURL: "http://" + r.Host, steps: []string{"create"}}
	s.mu.Lock()
	s.txs[t.id] = t
	s.mu.Unlock()
	s.ledger.Open(t.id, t.name, t.scenario, nil)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.event(t, "transaction_created", map[string]any{"id": t.id, "status": "draft", "created_by": map[string]string{"id": "u1", "email": "dev@autosign.io"}})
	}()
	simkit.WriteJSON(w, http.StatusCreated, autosign.IDResponse{ID: t.id})
}

// step checks the transaction is a draft and records the step.
func (s *Simulator) step(w http.ResponseWriter, r *http.Request, name string) *tx {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.txs[r.PathValue("id")]
	switch {
	case t == nil:
		http.Error(w, `{"message":"transaction not found"}`, http.StatusNotFound)
		return nil
	case t.status != autosign.StatusDraft:
		http.Error(w, `{"message":"the transaction is not a draft"}`, http.StatusConflict)
		return nil
	}
	t.steps = append(t.steps, name)
	return t
}

func (s *Simulator) addDocument(w http.ResponseWriter, r *http.Request) {
	var req autosign.AddDocument
	json.NewDecoder(r.Body).Decode(&req)
	s.mu.Lock()
	f, ok := s.files[req.Token]
	s.mu.Unlock()
	if !ok {
		http.Error(w, `{"message":"unknown file token"}`, http.StatusBadRequest)
		return
	}
	t := s.step(w, r, "document")
	if t == nil {
		return
	}
	s.mu.Lock()
	t.docs = append(t.docs, f)
	s.mu.Unlock()
	simkit.WriteJSON(w, http.StatusCreated, autosign.IDResponse{ID: fmt.Sprintf("%s-d%d", t.id, len(t.docs))})
}

func (s *Simulator) useTemplates(w http.ResponseWriter, r *http.Request) {
	var req autosign.UseTemplates
	json.NewDecoder(r.Body).Decode(&req)
	if len(req.Templates) == 0 {
		http.Error(w, `{"message":"templates must not be empty"}`, http.StatusBadRequest)
		return
	}
	t := s.step(w, r, "templates")
	if t == nil {
		return
	}
	s.mu.Lock()
	var docs []map[string]string
	for _, tpl := range req.Templates {
		t.templates++
		t.docs = append(t.docs, []byte("%PDF-1.4\n% template "+tpl.ID+"\n%%EOF\n"))
		docs = append(docs, map[string]string{"id": fmt.Sprintf("%s-d%d", t.id, len(t.docs))})
	}
	s.mu.Unlock()
	simkit.WriteJSON(w, http.StatusCreated, map[string]any{"id": t.id, "status": "draft", "documents": docs})
}

func (s *Simulator) update(w http.ResponseWriter, r *http.Request) {
	var req autosign.UpdateTransaction
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Name == "" || len(req.Documents) == 0 || len(req.Recipients) == 0 {
		http.Error(w, `{"message":"name, documents and recipients are required"}`, http.StatusBadRequest)
		return
	}
	t := s.step(w, r, "update")
	if t == nil {
		return
	}
	s.mu.Lock()
	t.recipients = req.Recipients
	s.mu.Unlock()
	simkit.WriteJSON(w, http.StatusOK, map[string]string{"id": t.id})
}

func (s *Simulator) setFields(w http.ResponseWriter, r *http.Request) {
	var req autosign.Fields
	json.NewDecoder(r.Body).Decode(&req)
	t := s.step(w, r, "fields")
	if t == nil {
		return
	}
	s.mu.Lock()
	t.fields = len(req.Fields)
	s.mu.Unlock()
	simkit.WriteJSON(w, http.StatusOK, map[string]string{"id": t.id})
}

func (s *Simulator) start(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	t := s.txs[r.PathValue("id")]
	ready := t != nil && len(t.docs) > 0 && t.fields > 0 && containsAll(t.steps, "update", "fields")
	s.mu.Unlock()
	if !ready {
		http.Error(w, `{"message":"the transaction needs documents, recipients and fields before it starts"}`, http.StatusConflict)
		return
	}
	if s.step(w, r, "start") == nil {
		return
	}
	s.mu.Lock()
	t.status = autosign.StatusStarted
	s.mu.Unlock()
	s.started(t)
	s.wg.Add(1)
	go func() { defer s.wg.Done(); s.play(t) }()
	simkit.WriteJSON(w, http.StatusOK, map[string]string{"id": t.id, "status": "started"})
}

func containsAll(have []string, want ...string) bool {
	for _, w := range want {
		found := false
		for _, h := range have {
			found = found || h == w
		}
		if !found {
			return false
		}
	}
	return true
}

func (s *Simulator) detail(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.txs[r.PathValue("id")]
	if t == nil {
		http.Error(w, `{"message":"transaction not found"}`, http.StatusNotFound)
		return
	}
	docs := make([]map[string]string, len(t.docs))
	for i := range t.docs {
		docs[i] = map[string]string{"id": fmt.Sprintf("%s-d%d", t.id, i+1)}
	}
	simkit.WriteJSON(w, http.StatusOK, map[string]any{"id": t.id, "status": t.status, "recipients": t.recipients, "documents": docs,
		"rejected_reason": nullable(t.rejectedReason), "rejected_by_id": nullable(t.rejectedByID), "rejected_at": nullable(t.rejectedAt)})
}

func (s *Simulator) sealedDocument(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.txs[r.PathValue("id")]
	if t == nil || t.sealed == nil || r.PathValue("doc") != t.id+"-sealed" {
		http.NotFound(w, r)
		return
	}
	t.counts.Downloads++
	s.ledger.Served(t.id, r.URL.Path, t.sealed)
	w.Header().Set("Content-Type", "application/pdf")
	w.Write(t.sealed)
}

func (s *Simulator) createWebhook(w http.ResponseWriter, r *http.Request) {
	var req autosign.CreateWebhook
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Name == "" || !strings.HasPrefix(req.Endpoint, "https://") || len(req.Events) == 0 {
		http.Error(w, `{"message":"name, a TLS endpoint and events are required"}`, http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.webhooks = append(s.webhooks, req)
	s.mu.Unlock()
	simkit.WriteJSON(w, http.StatusCreated, autosign.IDResponse{ID: cuid()})
}

func (s *Simulator) listWebhooks(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	items := []map[string]any{}
	for i, h := range s.webhooks {
		items = append(items, map[string]any{"id": fmt.Sprint(i), "name": h.Name, "events": h.Events, "enabled": true})
	}
	simkit.WriteJSON(w, http.StatusOK, map[string]any{"items": items, "meta": map[string]any{"limit": 100, "current_page": 1}})
}
