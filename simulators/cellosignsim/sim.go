// Package cellosignsim is an in-memory CelloSign: it serves the REST API v3
// calls firmaflow makes (sessions for one recipient, workflows for several:
// create, look up by reference, delete) and posts the archive webhook
// (WHP_ARCHIVE) when every recipient has submitted, with the signed PDF and
// an attachment as Base64 and the shared secret in X-Firmaflow-Token,
// redelivering until the bridge answers 200 with {"status":"0"}.
//
// A process's scenario is named in its name as "[sim:NAME]"; otherwise the
// simulator's default applies. Scenarios:
//
//	sign    each recipient submits in turn, then the archive is posted
//	cancel  the sender deletes the process in CelloSign's app (no webhook)
//	manual  nothing happens until POST /sim/processes/{reference}/submit
//	large   like sign, with a signed PDF of LargeSize bytes (default 40 MiB),
//	        streamed into the webhook body, never held whole
//
// PostArchive (and POST /sim/archive/{reference}) posts an archive for a
// process started outside firmaflow. The wire format is package cellosign's.
// The API is served both at the root and under /api/v3.
package cellosignsim

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"sort"
	"sync"
	"time"

	"github.com/firmaflow/firmaflow/providers/cellosign"
	"github.com/firmaflow/firmaflow/simulators/simkit"
)

// Scenario names.
const (
	ScenarioSign   = "sign"
	ScenarioCancel = "cancel"
	ScenarioManual = "manual"
	ScenarioLarge  = "large"
)

// DefaultLargeSize is the large scenario's signed PDF size.
const DefaultLargeSize = 40 << 20

// TokenHeader carries WebhookSecret on every archive.
const TokenHeader = "X-Firmaflow-Token"

// Options configure a Simulator.
type Options struct {
	// Token and Project, when set, are required on API calls
	// (Authorization: Token …, ?projectName=…).
	Token   string
	Project string
	// WebhookURL is where archives go (the bridge's /webhooks/cellosign);
	// WebhookSecret is sent as X-Firmaflow-Token.
	WebhookURL    string
	WebhookSecret string
	// DefaultScenario applies to processes whose name names none.
	DefaultScenario string
	// StepDelay is the pause before each recipient submits (default 50ms).
	StepDelay time.Duration
	// DeliveryAttempts bounds archive redeliveries (default 20), spaced by
	// RetryBackoff doubling up to 2s (default 100ms).
	DeliveryAttempts int
	RetryBackoff     time.Duration
	// LargeSize is the large scenario's signed PDF size (default 40 MiB).
	LargeSize int64
	// Faults inject API failures and duplicated archives (not for large ones).
	Faults simkit.Faults
	Logger *slog.Logger
}

// Simulator is an in-memory CelloSign.
type Simulator struct {
	opts   Options
	mux    *http.ServeMux
	client *http.Client
	faults *simkit.Injector
	ctx    context.Context
	stop   context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	procs  map[string]*proc // by reference
	ledger *simkit.Ledger

	persister *simkit.Persister // nil unless Persist was called
}

type proc struct {
	id, reference, name, scenario, kind, status string
	outside                                     bool
	recipients                                  []cellosign.Recipient
	submitted                                   int
	pdf                                         []byte
	timestamp                                   string // of the archive, fixed once submitted
	counts                                      Counts
	delivered                                   int
	signedSHA                                   string
	submit                                      chan struct{}
	finished                                    bool // the scenario ran to its end (persist.go)
}

// Counts are what the simulator saw done to one process.
type Counts = simkit.Counts

// ProcessView is a process as tests and /sim/processes see it.
type ProcessView struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Scenario   string `json:"scenario"`
	Status     string `json:"status"`
	Reference  string `json:"reference"`
	Kind       string `json:"kind"` // "sessions" or "workflows"
	Recipients int    `json:"recipients"`
	Submitted  int    `json:"submitted"`
	Counts     Counts `json:"counts"`
	// ArchivesDelivered counts archives the bridge accepted.
	ArchivesDelivered int `json:"archives_delivered"`
	// SignedSHA256 is the SHA-256 of the signed PDF the archive carries.
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
	if opts.LargeSize <= 0 {
		opts.LargeSize = DefaultLargeSize
	}
	if opts.DefaultScenario == "" {
		opts.DefaultScenario = ScenarioSign
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	ctx, stop := context.WithCancel(context.Background())
	s := &Simulator{opts: opts, mux: http.NewServeMux(), client: &http.Client{Timeout: 10 * time.Minute},
		faults: simkit.NewInjector(opts.Faults), ctx: ctx, stop: stop, procs: map[string]*proc{}, ledger: simkit.NewLedger(cellosign.Name)}
	s.mux.Handle("GET /sim/ledger", s.ledger)
	api := http.NewServeMux()
	for _, kind := range []string{"sessions", "workflows"} {
		api.HandleFunc("POST /"+kind, s.auth(s.create(kind)))
		api.HandleFunc("GET /"+kind, s.auth(s.list(kind)))
		api.HandleFunc("GET /"+kind+"/{id}", s.auth(s.get(kind)))
		api.HandleFunc("DELETE /"+kind+"/{id}", s.auth(s.remove(kind)))
	}
	s.mux.Handle("/api/v3/", http.StripPrefix("/api/v3", api))
	s.mux.Handle("/sessions", api)
	s.mux.Handle("/sessions/", api)
	s.mux.Handle("/workflows", api)
	s.mux.Handle("/workflows/", api)
	s.mux.HandleFunc("GET /sim/processes", s.listAll)
	s.mux.HandleFunc("GET /sim/processes/{ref}", s.view)
	s.mux.HandleFunc("POST /sim/processes/{ref}/submit", s.submitNow)
	s.mux.HandleFunc("POST /sim/archive/{ref}", s.archiveOutside)
	return s
}

// Handler serves the simulated API (with any injected faults).
func (s *Simulator) Handler() http.Handler { return s.faults.Middleware(s.mux) }

// Close stops running scenarios and waits for them.
func (s *Simulator) Close() {
	s.stop()
	s.wg.Wait()
	if err := s.persister.Close(); err != nil {
		s.opts.Logger.Error("cellosign sim: final state not saved", "error", err)
	}
}

// SetWebhookURL points the archives at a bridge.
func (s *Simulator) SetWebhookURL(u string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.WebhookURL = u
}

// Process returns a view of the process with that reference.
func (s *Simulator) Process(reference string) (ProcessView, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.procs[reference]
	if !ok {
		return ProcessView{}, false
	}
	return p.view(), true
}

// Processes returns views of every process, by reference.
func (s *Simulator) Processes() []ProcessView {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ProcessView, 0, len(s.procs))
	for _, p := range s.procs {
		out = append(out, p.view())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Reference < out[j].Reference })
	return out
}

func (p *proc) view() ProcessView {
	v := ProcessView{ID: p.id, Name: p.name, Scenario: p.scenario, Status: p.status, Reference: p.reference, Kind: p.kind,
		Recipients: len(p.recipients), Submitted: p.submitted, Counts: p.counts, ArchivesDelivered: p.delivered}
	if p.signedSHA != "" {
		v.SignedSHA256 = []string{p.signedSHA}
	}
	return v
}

func (p *proc) wire() cellosign.Process {
	return cellosign.Process{ID: p.id, Reference: p.reference, Status: p.status}
}

func (s *Simulator) auth(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if (s.opts.Token != "" && r.Header.Get("Authorization") != "Token "+s.opts.Token) ||
			(s.opts.Project != "" && r.URL.Query().Get("projectName") != s.opts.Project) {
			simkit.WriteJSON(w, http.StatusUnauthorized, map[string]string{"detail": "Invalid token or projectName."})
			return
		}
		next(w, r)
	}
}

var scenarioTag = regexp.MustCompile(`\[sim:([a-z-]+)\]`)

func (s *Simulator) create(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req cellosign.CreateRequest
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 150<<20)).Decode(&req); err != nil {
			simkit.WriteJSON(w, http.StatusBadRequest, map[string]string{"detail": "invalid JSON body"})
			return
		}
		switch {
		case req.Reference == "" || len(req.Recipients) == 0 || len(req.Files) == 0:
			simkit.WriteJSON(w, http.StatusBadRequest, map[string]string{"detail": "reference, recipients and files are required"})
			return
		case kind == "sessions" && len(req.Recipients) != 1:
			simkit.WriteJSON(w, http.StatusBadRequest, map[string]string{"detail": "a session has a single recipient; use the Workflow API"})
			return
		case kind == "workflows" && len(req.Recipients) < 2:
			simkit.WriteJSON(w, http.StatusBadRequest, map[string]string{"detail": "a workflow has several recipients; use the Session API"})
			return
		}
		for _, rc := range req.Recipients {
			if rc.Name == "" || (rc.Email == "" && rc.Phone == "") {
				simkit.WriteJSON(w, http.StatusBadRequest, map[string]string{"detail": "each recipient needs a name and an email or phone"})
				return
			}
		}
		pdf, err := base64.StdEncoding.DecodeString(req.Files[0].Content)
		if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF")) {
			simkit.WriteJSON(w, http.StatusBadRequest, map[string]string{"detail": "files must be Base64 PDFs"})
			return
		}
		scenario, _, err := simkit.Scenario(req.Name, s.opts.DefaultScenario, scenarioTag, Scenarios)
		if err != nil {
			simkit.RefuseScenario(w, "detail", err)
			return
		}
		s.mu.Lock()
		if _, dup := s.procs[req.Reference]; dup {
			s.mu.Unlock()
			simkit.WriteJSON(w, http.StatusBadRequest, map[string]string{"detail": "reference already exists"})
			return
		}
		p := &proc{id: newID(), reference: req.Reference, name: req.Name, kind: kind, status: cellosign.StatusSent,
			recipients: req.Recipients, pdf: pdf, scenario: scenario, submit: make(chan struct{}, 1)}
		s.procs[p.reference] = p
		answer := p.wire()
		s.mu.Unlock()
		s.open(p)
		s.opts.Logger.Info("cellosign sim: process created", "reference", p.reference, "kind", kind, "scenario", p.scenario, "recipients", len(req.Recipients))
		s.wg.Add(1)
		go func() { defer s.wg.Done(); s.play(p) }()
		simkit.WriteJSON(w, http.StatusCreated, answer)
	}
}

func (s *Simulator) list(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		out := cellosign.ProcessList{Results: []cellosign.Process{}}
		ref := r.URL.Query().Get("reference")
		for _, p := range s.procs {
			if p.kind == kind && !p.outside && (ref == "" || p.reference == ref) {
				out.Results = append(out.Results, p.wire())
			}
		}
		simkit.WriteJSON(w, http.StatusOK, out)
	}
}

func (s *Simulator) byID(kind, id string) *proc {
	for _, p := range s.procs {
		if p.id == id && p.kind == kind && !p.outside {
			return p
		}
	}
	return nil
}

func (s *Simulator) get(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		p := s.byID(kind, r.PathValue("id"))
		if p == nil {
			simkit.WriteJSON(w, http.StatusNotFound, map[string]string{"detail": "Not found."})
			return
		}
		simkit.WriteJSON(w, http.StatusOK, p.wire())
	}
}

func (s *Simulator) remove(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		p := s.byID(kind, r.PathValue("id"))
		if p == nil {
			simkit.WriteJSON(w, http.StatusNotFound, map[string]string{"detail": "Not found."})
			return
		}
		p.counts.Cancels++
		switch p.status {
		case cellosign.StatusSubmitted:
			s.ledger.Call(p.reference, simkit.CallCancel, http.StatusBadRequest)
			simkit.WriteJSON(w, http.StatusBadRequest, map[string]string{"detail": "process already submitted"})
			return
		case cellosign.StatusDeleted:
			s.ledger.Call(p.reference, simkit.CallCancel, http.StatusNotFound)
			simkit.WriteJSON(w, http.StatusNotFound, map[string]string{"detail": "Not found."})
			return
		}
		p.status = cellosign.StatusDeleted
		s.ledger.Call(p.reference, simkit.CallCancel, http.StatusOK)
		s.ledger.End(p.reference, simkit.OutcomeWithdrawn, "")
		simkit.WriteJSON(w, http.StatusOK, p.wire())
	}
}

// play runs a process's scenario until it ends or the simulator closes.
func (s *Simulator) play(p *proc) {
	defer s.played(p)
	switch p.scenario {
	case ScenarioSign, ScenarioLarge:
		for range p.recipients {
			if !s.wait(s.opts.StepDelay) || !s.submitOne(p) {
				return
			}
		}
		s.archive(p)
	case ScenarioCancel:
		if s.wait(s.opts.StepDelay) {
			s.mu.Lock()
			if p.status == cellosign.StatusSent {
				p.status = cellosign.StatusDeleted
				s.ledger.End(p.reference, simkit.OutcomeCancelled, "")
			}
			s.mu.Unlock()
		}
	case ScenarioManual:
		select {
		case <-s.ctx.Done():
			return
		case <-p.submit:
		}
		for range p.recipients {
			if !s.submitOne(p) {
				return
			}
		}
		s.archive(p)
	default:
		s.opts.Logger.Warn("cellosign sim: unknown scenario; nothing will happen", "scenario", p.scenario)
	}
}

func (s *Simulator) wait(d time.Duration) bool {
	select {
	case <-s.ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

// submitOne records the next recipient's submission; the last one submits
// the process. It reports false when the process was deleted meanwhile.
func (s *Simulator) submitOne(p *proc) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.status != cellosign.StatusSent {
		return false
	}
	p.submitted++
	s.ledger.Signer(p.reference, p.recipients[p.submitted-1].Email, simkit.SignerSigned, "")
	if p.submitted >= len(p.recipients) {
		p.status = cellosign.StatusSubmitted
		p.timestamp = stamp()
	}
	return true
}

func (s *Simulator) submitNow(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	p := s.procs[r.PathValue("ref")]
	s.mu.Unlock()
	if p == nil || p.submit == nil {
		http.NotFound(w, r)
		return
	}
	select {
	case p.submit <- struct{}{}:
	default:
	}
	simkit.WriteJSON(w, http.StatusAccepted, map[string]bool{"submitting": true})
}

func (s *Simulator) listAll(w http.ResponseWriter, _ *http.Request) {
	simkit.WriteJSON(w, http.StatusOK, s.Processes())
}

func (s *Simulator) view(w http.ResponseWriter, r *http.Request) {
	v, ok := s.Process(r.PathValue("ref"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	simkit.WriteJSON(w, http.StatusOK, v)
}

func (s *Simulator) archiveOutside(w http.ResponseWriter, r *http.Request) {
	ok, err := s.PostArchive(r.Context(), r.PathValue("ref"))
	if err != nil {
		simkit.WriteJSON(w, http.StatusConflict, map[string]string{"detail": err.Error()})
		return
	}
	simkit.WriteJSON(w, http.StatusOK, map[string]bool{"delivered": ok})
}

// ErrKnownReference: PostArchive is for processes started outside
// firmaflow, not for ones created through the API.
var ErrKnownReference = errors.New("cellosignsim: reference belongs to a process created through the API")

// PostArchive posts an archive for a process started outside firmaflow
// (a reference firmaflow never sent), as CelloSign does for any process of
// the project. Posting the same reference again redelivers the same
// archive. It reports whether the bridge accepted it (200, status "0").
func (s *Simulator) PostArchive(ctx context.Context, reference string) (bool, error) {
	if reference == "" {
		return false, errors.New("cellosignsim: empty reference")
	}
	s.mu.Lock()
	p, ok := s.procs[reference]
	if ok && !p.outside {
		s.mu.Unlock()
		return false, ErrKnownReference
	}
	if !ok {
		p = &proc{id: newID(), reference: reference, name: "outside firmaflow", kind: "sessions", status: cellosign.StatusSubmitted,
			outside: true, scenario: ScenarioSign, submitted: 1, timestamp: stamp(),
			recipients: []cellosign.Recipient{{ID: 1, Name: "Outside Signer", Email: "outside@example.com", Order: 1}},
			pdf:        []byte("%PDF-1.4\n% signed outside firmaflow " + reference + "\n%%EOF\n")}
		s.procs[reference] = p
		s.open(p)
	}
	target := s.opts.WebhookURL
	s.mu.Unlock()
	if target == "" {
		return false, errors.New("cellosignsim: no webhook URL")
	}
	return s.deliver(ctx, p), nil
}

// signed returns an opener of the signed PDF and its SHA-256. The large
// scenario's PDF is generated on the fly, never held.
func (s *Simulator) signed(p *proc) (func() io.Reader, string) {
	if p.scenario == ScenarioLarge {
		h := sha256.New()
		io.Copy(h, largePDF(s.opts.LargeSize))
		return func() io.Reader { return largePDF(s.opts.LargeSize) }, hex.EncodeToString(h.Sum(nil))
	}
	b := append(append([]byte(nil), p.pdf...), []byte("\n% signed and locked by the CelloSign simulator "+p.reference+"\n%%EOF\n")...)
	sum := sha256.Sum256(b)
	return func() io.Reader { return bytes.NewReader(b) }, hex.EncodeToString(sum[:])
}

// largePDF yields a PDF-looking stream of n bytes.
func largePDF(n int64) io.Reader {
	head := []byte("%PDF-1.4\n% CelloSign simulator large signed document\n")
	tail := []byte("\n%%EOF\n")
	return io.MultiReader(bytes.NewReader(head), io.LimitReader(filler{}, n-int64(len(head)+len(tail))), bytes.NewReader(tail))
}

type filler struct{}

func (filler) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = "0123456789abcdef"[i%16]
	}
	return len(p), nil
}

// archive posts a submitted process's archive.
func (s *Simulator) archive(p *proc) bool { return s.deliver(s.ctx, p) }

// writeArchive writes the WHP_ARCHIVE body, the signed PDF Base64-encoded
// as it is read.
func writeArchive(w io.Writer, p *proc, open func() io.Reader) error {
	sessions := make([]map[string]any, 0, len(p.recipients))
	signatures := make([]map[string]any, 0, len(p.recipients))
	for i, rc := range p.recipients {
		sessions = append(sessions, map[string]any{
			"id": fmt.Sprintf("%s-%d", p.id, i+1), "author": "sim@cellosign.example", "reference": p.reference,
			"process_id": p.reference, "transaction_number": i + 1,
			"recipient": map[string]any{"id": rc.ID, "name": rc.Name,
				"otp_destination": map[string]any{"address": rc.Email, "type": "email", "provider": nil, "status": "sent"}},
			"labels": map[string]string{}, "created_at": p.timestamp, "submitted_at": p.timestamp,
		})
		signatures = append(signatures, map[string]any{"id": fmt.Sprintf("SIGNATURE%d", i+1), "signed_at": p.timestamp,
			"signed_by": map[string]string{"id": fmt.Sprint(rc.ID), "name": rc.Name}, "labels": map[string]string{}})
	}
	meta, err := json.Marshal(map[string]any{
		"event":      map[string]string{"type": cellosign.EventArchive, "timestamp": p.timestamp},
		"reference":  p.reference,
		"sessions":   sessions,
		"signatures": signatures,
		"data":       []any{},
		"payments":   []any{},
	})
	if err != nil {
		return err
	}
	attachment := base64.StdEncoding.EncodeToString(attachmentBytes(p.reference))
	if _, err := fmt.Fprintf(w, `%s,"attachments":[{"id":"ATTACHMENT1","filename":"id-card.png","mimetype":"image/png","content":"%s"}],`,
		meta[:len(meta)-1], attachment); err != nil {
		return err
	}
	if _, err := io.WriteString(w, `"signed_document":{"filename":"SIGNEDDOCUMENT.pdf","mimetype":"application/pdf","content":"`); err != nil {
		return err
	}
	enc := base64.NewEncoder(base64.StdEncoding, w)
	if _, err := io.Copy(enc, open()); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	_, err = io.WriteString(w, `"}}`)
	return err
}

// deliver posts the archive until the bridge accepts it or the attempts
// run out. Large archives are streamed; others go through the fault
// injector (duplicates, jitter).
func (s *Simulator) deliver(ctx context.Context, p *proc) bool {
	open, sum := s.signed(p)
	s.mu.Lock()
	first := p.signedSHA == ""
	p.signedSHA = sum
	target := s.opts.WebhookURL
	s.mu.Unlock()
	if first {
		s.issued(p, sum)
	}
	if target == "" {
		s.opts.Logger.Warn("cellosign sim: no webhook URL; archive not sent", "reference", p.reference)
		return false
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set(TokenHeader, s.opts.WebhookSecret)
	var res simkit.Result
	posted := time.Now()
	if p.scenario == ScenarioLarge {
		res = s.stream(ctx, target, h, p, open)
	} else {
		var buf bytes.Buffer
		if err := writeArchive(&buf, p, open); err != nil {
			s.opts.Logger.Error("cellosign sim: archive", "error", err)
			return false
		}
		res = s.faults.Deliver(ctx, s.client, simkit.Delivery{URL: target, Body: buf.Bytes(), Header: h,
			Attempts: s.opts.DeliveryAttempts, Backoff: s.opts.RetryBackoff}, nil)
	}
	s.ledger.Posted(p.reference, p.reference+"@"+p.timestamp, simkit.EventCompleted, "", posted, res)
	s.mu.Lock()
	p.counts.WebhooksRefused += res.Refused
	if res.Delivered {
		p.delivered++
	}
	s.mu.Unlock()
	if !res.Delivered {
		s.opts.Logger.Warn("cellosign sim: archive undelivered", "reference", p.reference)
	}
	return res.Delivered
}

// stream posts a body written on the fly, redelivering with backoff.
func (s *Simulator) stream(ctx context.Context, target string, h http.Header, p *proc, open func() io.Reader) simkit.Result {
	var res simkit.Result
	backoff := s.opts.RetryBackoff
	for attempt := 1; attempt <= s.opts.DeliveryAttempts; attempt++ {
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(writeArchive(pw, p, open)) }()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, target, pr)
		req.Header = h.Clone()
		resp, err := s.client.Do(req)
		pr.Close()
		if err == nil {
			var ans cellosign.Answer
			json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&ans)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && ans.Status == cellosign.AnswerOK {
				res.Delivered = true
				return res
			}
			res.Refused++
		}
		select {
		case <-ctx.Done():
			return res
		case <-s.ctx.Done():
			return res
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 2*time.Second)
	}
	return res
}

func stamp() string { return time.Now().UTC().Format("2006-01-02T15:04:05.000000") }

func newID() string {
	b := make([]byte, 5)
	rand.Read(b)
	return hex.EncodeToString(b)
}
