// Package arqsignsim is an in-memory ArqSIGN: it serves the API endpoints
// firmaflow uses (send, reenviar-processo, cancelar-processo,
// status-do-processo), serves the signed PDFs and signature records, and
// posts ArqSIGN's monitoring and completion webhooks, HMAC-signed, to a
// bridge, following a scenario per process.
//
// A process's scenario is named in its title as "[sim:NAME]" (optionally
// "[sim:NAME,base64]" to deliver the completion's files as Base64 instead of
// links); otherwise the simulator's default applies. Scenarios:
//
//	sign              every signer signs, then the process completes
//	delivery-failure  delivery to the last signer fails; after a resend all sign
//	reject            the first signer signs, the last refuses with a reason
//	cancel            the sender cancels the process in ArqSIGN's app
//	expire            the process expires; after a renewal all sign
//	expire-always     the process expires again after every renewal
//	manual            nothing happens until POST /sim/processes/{id}/trigger/{n}
//	                  (?signer=N picks the signer, from 0; default the last)
//	early             every signer but the last signs before the send is
//	                  answered (so the events come before their owner is
//	                  known); then as manual
//	lost-completion   everyone signs and the process completes, but the
//	                  completion webhook is never sent (reconciliation finds it)
//
// The wire format is package arqsign's, so the simulator and the client
// cannot drift apart silently: both are tested against each other and
// against the manual's field names.
package arqsignsim

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"log/slog"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/firmaflow/firmaflow/providers/arqsign"
	"github.com/firmaflow/firmaflow/simulators/simkit"
)

// Scenario names.
const (
	ScenarioSign            = "sign"
	ScenarioDeliveryFailure = "delivery-failure"
	ScenarioReject          = "reject"
	ScenarioCancel          = "cancel"
	ScenarioExpire          = "expire"
	ScenarioExpireAlways    = "expire-always"
	ScenarioManual          = "manual"
	ScenarioLostCompletion  = "lost-completion"
)

// RejectReason is the justification the reject scenario's signer gives.
const RejectReason = "Os dados do contrato estão incorretos"

// Options configure a Simulator.
type Options struct {
	// AppKey and SubscriptionKey, when set, are required on API calls.
	AppKey          string
	SubscriptionKey string
	// WebhookURL is where webhooks go (the bridge's /webhooks/arqsign).
	WebhookURL    string
	WebhookSecret string
	// DefaultScenario applies to processes whose title names none.
	DefaultScenario string
	// StepDelay is the pause between scenario steps (default 50ms).
	StepDelay time.Duration
	// DeliveryAttempts bounds webhook redeliveries (default 20), spaced by
	// RetryBackoff doubling up to 2s (default 100ms), like ArqSIGN's retries compressed.
	DeliveryAttempts int
	RetryBackoff     time.Duration
	// Faults inject API failures and duplicated, reordered webhooks.
	Faults simkit.Faults
	Logger *slog.Logger
}

// Simulator is an in-memory ArqSIGN.
type Simulator struct {
	opts   Options
	mux    *http.ServeMux
	client *http.Client
	faults *simkit.Injector
	ctx    context.Context
	stop   context.CancelFunc
	wg     sync.WaitGroup

	mu        sync.Mutex
	processes map[string]*process
	persister *simkit.Persister // nil unless Persist was called
	ledger    *simkit.Ledger
}

type process struct {
	id, name, scenario, baseURL string
	base64                      bool
	signers                     []*signer
	docs                        []simDoc
	status                      int
	expired                     bool
	dataReenvio, dataRenovacao  string
	counts                      Counts
	resume                      chan struct{} // a reenviar-processo call wakes the scenario
	webhooks                    []int         // triggers posted and answered 2xx, in order
	replay                      simkit.Replay // scenario steps taken (persist.go)
	finished                    bool
}

type signer struct {
	ID, Name, Email, Phone   string
	Order                    int
	Signed, Failed, Rejected bool
	SignedAt                 string
}

type simDoc struct {
	name           string
	signed, record []byte
}

// Counts are what the simulator saw done to one process.
type Counts = simkit.Counts

// ProcessView is a process as tests and /sim/processes see it.
type ProcessView struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Scenario string `json:"scenario"`
	Status   int    `json:"status"`
	Expired  bool   `json:"expired"`
	Counts   Counts `json:"counts"`
	Webhooks []int  `json:"webhooks_delivered"`
	// SignedSHA256 lists the SHA-256 of each signed document as served.
	SignedSHA256 []string `json:"signed_sha256"`
}

// New returns a simulator; call Close to stop its scenarios.
func New(opts Options) *Simulator {
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
	s := &Simulator{
		opts: opts, mux: http.NewServeMux(), client: &http.Client{Timeout: 30 * time.Second},
		ctx: ctx, stop: stop, processes: map[string]*process{}, faults: simkit.NewInjector(opts.Faults),
		ledger: simkit.NewLedger(arqsign.Name),
	}
	s.mux.Handle("GET /sim/ledger", s.ledger)
	s.mux.HandleFunc("POST /api/v2/processo/enviar-documento-para-assinar", s.auth(s.send))
	s.mux.HandleFunc("PATCH /api/v2/processo/{id}/reenviar-processo", s.auth(s.resend))
	s.mux.HandleFunc("PATCH /api/v1/processo/{id}/cancelar-processo", s.auth(s.cancel))
	s.mux.HandleFunc("GET /api/v1/processo/{id}/status-do-processo", s.auth(s.status))
	s.mux.HandleFunc("GET /api/v2/processo/{id}", s.auth(s.details))
	s.mux.HandleFunc("GET /sim/files/{id}/{doc}/{kind}", s.file)
	s.mux.HandleFunc("GET /sim/processes", s.list)
	s.mux.HandleFunc("GET /sim/processes/{id}", s.view)
	s.mux.HandleFunc("POST /sim/processes/{id}/trigger/{trigger}", s.trigger)
	return s
}

// Handler serves the simulated API (with any injected faults).
func (s *Simulator) Handler() http.Handler { return s.faults.Middleware(s.mux) }

// SetWebhookURL points the simulator's webhooks at a bridge (for tests that
// start the bridge after the simulator).
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
		s.opts.Logger.Error("arqsign sim: final state not saved", "error", err)
	}
}

// Process returns a view of a process.
func (s *Simulator) Process(id string) (ProcessView, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.processes[id]
	if !ok {
		return ProcessView{}, false
	}
	return p.view(), true
}

// Processes returns views of every process, by id.
func (s *Simulator) Processes() []ProcessView {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ProcessView, 0, len(s.processes))
	for _, p := range s.processes {
		out = append(out, p.view())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func (p *process) view() ProcessView {
	v := ProcessView{ID: p.id, Name: p.name, Scenario: p.scenario, Status: p.status, Expired: p.expired,
		Counts: p.counts, Webhooks: append([]int(nil), p.webhooks...)}
	for _, d := range p.docs {
		sum := sha256.Sum256(d.signed)
		v.SignedSHA256 = append(v.SignedSHA256, hex.EncodeToString(sum[:]))
	}
	return v
}

func (s *Simulator) auth(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if (s.opts.AppKey != "" && r.Header.Get("AppKey") != s.opts.AppKey) ||
			(s.opts.SubscriptionKey != "" && r.Header.Get("SubscriptionKey") != s.opts.SubscriptionKey) {
			http.Error(w, "Acesso não autorizado.", http.StatusUnauthorized)
			return
		}
		next(w, r)
	}
}

var scenarioTag = regexp.MustCompile(`\[sim:([a-z-]+)((?:,[a-z0-9]+)*)\]`)

func (s *Simulator) send(w http.ResponseWriter, r *http.Request) {
	var req arqsign.SendRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 150<<20)).Decode(&req); err != nil {
		http.Error(w, "Algum parâmetro está incorreto ou é inexistente.", http.StatusBadRequest)
		return
	}
	p, problem := newProcess(req)
	if problem != "" {
		http.Error(w, problem, http.StatusBadRequest)
		return
	}
	scenario, m, err := simkit.Scenario(req.NomeProcesso, s.opts.DefaultScenario, scenarioTag, Scenarios)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	p.scenario = scenario
	if m != nil {
		p.base64 = strings.Contains(m[2], ",base64")
	}
	p.baseURL = "http://" + r.Host
	s.mu.Lock()
	s.processes[p.id] = p
	s.mu.Unlock()
	s.open(p)
	s.opts.Logger.Info("arqsign sim: process created", "id", p.id, "scenario", p.scenario, "signers", len(p.signers))

	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.play(p)
	}()
	s.early(p)
	docs := make([]map[string]any, len(p.docs))
	for i, d := range p.docs {
		docs[i] = map[string]any{"id": uuid.NewString(), "ordem": i + 1, "nome": d.name}
	}
	simkit.WriteJSON(w, http.StatusOK, map[string]any{"idProcesso": p.id, "documentos": docs})
}

func newProcess(req arqsign.SendRequest) (*process, string) {
	var missing []string
	if req.IDResponsavel == "" {
		missing = append(missing, "idResponsavel")
	}
	if req.NomeProcesso == "" {
		missing = append(missing, "nomeProcesso")
	}
	if req.IDPasta == "" {
		missing = append(missing, "idPasta")
	}
	if len(req.Destinatarios) == 0 {
		missing = append(missing, "destinatarios")
	}
	if len(req.Documentos) == 0 {
		missing = append(missing, "documentos")
	}
	if len(missing) > 0 {
		return nil, "O(s) item(ns) listado(s) é(são) obrigatório(s): " + strings.Join(missing, ", ")
	}
	if len(req.Documentos) > 25 {
		return nil, "O(s) item(ns) listado(s) está(ão) com o formato incorreto: documentos"
	}
	p := &process{id: uuid.NewString(), name: req.NomeProcesso, status: arqsign.StatusWaiting, resume: make(chan struct{}, 1)}
	for i, d := range req.Destinatarios {
		if d.Nome == "" || (d.Email == "") == (d.Telefone == "") {
			return nil, fmt.Sprintf("O(s) item(ns) listado(s) está(ão) com o formato incorreto: destinatarios[%d] (nome e email ou telefone)", i)
		}
		if d.IDTipoAcao != 1 {
			continue // copies receive, they do not sign
		}
		if req.UsarOrdemAssinatura && d.OrdemAssinatura == 0 {
			return nil, "O(s) item(ns) listado(s) é(são) obrigatório(s): ordemAssinatura"
		}
		p.signers = append(p.signers, &signer{ID: uuid.NewString(), Name: d.Nome, Email: d.Email, Phone: d.Telefone, Order: d.OrdemAssinatura})
	}
	if len(p.signers) == 0 {
		return nil, "É obrigatório informar ao menos um destinatário com a ação Assinar Online."
	}
	seen := map[string]bool{}
	for _, d := range req.Documentos {
		if d.NomeComExtensao == "" || seen[d.NomeComExtensao] {
			return nil, "O(s) item(ns) listado(s) está(ão) com o formato incorreto: nomeComExtensao"
		}
		seen[d.NomeComExtensao] = true
		pdf, err := base64.StdEncoding.DecodeString(d.Arquivo)
		if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF")) {
			return nil, "O(s) item(ns) listado(s) está(ão) com o formato incorreto: arquivo (PDF em Base64)"
		}
		p.docs = append(p.docs, simDoc{name: d.NomeComExtensao, signed: signedPDF(pdf, p.id), record: recordPDF(p.id, d.NomeComExtensao)})
	}
	return p, ""
}

// signedPDF is the original with a signature trailer appended, so its hash
// differs from the upload's and is known only to the simulator.
func signedPDF(orig []byte, id string) []byte {
	return append(append([]byte(nil), orig...), []byte("\n% ArqSIGN simulator signature for process "+id+"\n%%EOF\n")...)
}

func recordPDF(id, name string) []byte {
	return []byte(fmt.Sprintf("%%PDF-1.4\n%% Registro de assinaturas\n%% processo %s documento %s\n%%%%EOF\n", id, name))
}

func (s *Simulator) lookup(w http.ResponseWriter, r *http.Request) *process {
	s.mu.Lock()
	p := s.processes[r.PathValue("id")]
	s.mu.Unlock()
	if p == nil {
		http.Error(w, "O(s) id(s) listado(s) não existe(m): idProcesso", http.StatusBadRequest)
	}
	return p
}

func (s *Simulator) resend(w http.ResponseWriter, r *http.Request) {
	p := s.lookup(w, r)
	if p == nil {
		return
	}
	s.mu.Lock()
	if p.status == arqsign.StatusCompleted || p.status == arqsign.StatusCancelled {
		s.mu.Unlock()
		s.ledger.Call(p.id, simkit.CallResend, http.StatusUnprocessableEntity)
		http.Error(w, "Processo não possui signatários pendentes.", http.StatusUnprocessableEntity)
		return
	}
	now := stamp()
	s.ledger.Reopen(p.id)
	if p.expired {
		s.ledger.Call(p.id, simkit.CallRenewal, http.StatusOK)
		p.counts.Renewals++
		p.expired, p.dataRenovacao = false, now
	} else {
		s.ledger.Call(p.id, simkit.CallResend, http.StatusOK)
		p.counts.Resends++
	}
	p.dataReenvio = now
	var pending []map[string]any
	for _, sg := range p.signers {
		if !sg.Signed {
			sg.Failed = false
			pending = append(pending, map[string]any{"idProcessoDestinatario": sg.ID, "ordem": sg.Order, "formaEnvioProcesso": sg.Email, "nome": sg.Name, "anexos": nil})
		}
	}
	s.mu.Unlock()
	select {
	case p.resume <- struct{}{}:
	default:
	}
	simkit.WriteJSON(w, http.StatusOK, pending)
}

func (s *Simulator) cancel(w http.ResponseWriter, r *http.Request) {
	p := s.lookup(w, r)
	if p == nil {
		return
	}
	s.mu.Lock()
	p.counts.Cancels++
	switch p.status {
	case arqsign.StatusCompleted:
		s.mu.Unlock()
		s.ledger.Call(p.id, simkit.CallCancel, http.StatusUnprocessableEntity)
		http.Error(w, "Documento concluído.", http.StatusUnprocessableEntity)
		return
	case arqsign.StatusCancelled:
		s.mu.Unlock()
		s.ledger.Call(p.id, simkit.CallCancel, http.StatusUnprocessableEntity)
		http.Error(w, "Documento cancelado.", http.StatusUnprocessableEntity)
		return
	}
	p.status = arqsign.StatusCancelled
	s.mu.Unlock()
	s.ledger.Call(p.id, simkit.CallCancel, http.StatusOK)
	s.ledger.End(p.id, simkit.OutcomeWithdrawn, "")
	// ArqSIGN notifies cancellations made through the API too.
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.post(p, arqsign.TriggerCancelled, nil)
	}()
	simkit.WriteJSON(w, http.StatusOK, "Documento cancelado com sucesso")
}

func (s *Simulator) status(w http.ResponseWriter, r *http.Request) {
	p := s.lookup(w, r)
	if p == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	simkit.WriteJSON(w, http.StatusOK, arqsign.StatusResponse{NomeProcesso: p.name, Status: statusName(p.status), IDStatus: p.status, Expirado: p.expired})
}

// details serves GET /api/v2/processo/{id}: signers and, once complete,
// document links.
func (s *Simulator) details(w http.ResponseWriter, r *http.Request) {
	p := s.lookup(w, r)
	if p == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	inline := p.base64
	p.base64 = false // arquivoTipo=2: links, whatever the webhook setting
	wp := s.payload(p, arqsign.TriggerCompleted, nil)
	p.base64 = inline
	d := arqsign.ProcessDetails{NomeProcesso: p.name, Status: statusName(p.status), IDStatus: p.status, Signatarios: wp.Signatarios}
	if p.status == arqsign.StatusCompleted {
		d.Documentos = wp.Documentos
	}
	simkit.WriteJSON(w, http.StatusOK, d)
}

func (s *Simulator) file(w http.ResponseWriter, r *http.Request) {
	p := s.lookup(w, r)
	if p == nil {
		return
	}
	i, err := strconv.Atoi(r.PathValue("doc"))
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil || i < 0 || i >= len(p.docs) || p.status != arqsign.StatusCompleted {
		http.NotFound(w, r)
		return
	}
	var body []byte
	switch r.PathValue("kind") {
	case "signed":
		body = p.docs[i].signed
	case "record":
		body = p.docs[i].record
	default:
		http.NotFound(w, r)
		return
	}
	p.counts.Downloads++
	s.ledger.Served(p.id, r.URL.Path, body)
	w.Header().Set("Content-Type", "application/pdf")
	w.Write(body)
}

func (s *Simulator) list(w http.ResponseWriter, _ *http.Request) {
	simkit.WriteJSON(w, http.StatusOK, s.Processes())
}

func (s *Simulator) view(w http.ResponseWriter, r *http.Request) {
	v, ok := s.Process(r.PathValue("id"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	simkit.WriteJSON(w, http.StatusOK, v)
}

// trigger posts one webhook now: POST /sim/processes/{id}/trigger/{1..8}.
func (s *Simulator) trigger(w http.ResponseWriter, r *http.Request) {
	p := s.lookup(w, r)
	if p == nil {
		return
	}
	n, err := strconv.Atoi(r.PathValue("trigger"))
	if _, ok := arqsign.TriggerNames[n]; err != nil || !ok {
		http.Error(w, "trigger must be 1..8", http.StatusBadRequest)
		return
	}
	who, ok := triggerSigner(p, r)
	if !ok {
		http.Error(w, "signer must be 0..number of signers-1", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.apply(p, n, who)
	s.mu.Unlock()
	ok = s.post(p, n, who)
	simkit.WriteJSON(w, http.StatusOK, map[string]bool{"delivered": ok})
}

func statusName(id int) string {
	return map[int]string{1: "Criado", 2: "Aguardando", 3: "Em processo", 4: "Concluído", 5: "Cancelado"}[id]
}

func stamp() string {
	return time.Now().In(time.FixedZone("BRT", -3*3600)).Format("02/01/2006 15:04:05.000")
}
