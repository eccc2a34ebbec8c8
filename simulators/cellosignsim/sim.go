// Package cellosignsim is an in-memory CelloSign: sessions and workflows
// (create, look up by reference, delete) and the archive webhook
// (WHP_ARCHIVE) posted when every recipient has submitted, with the signed
// PDF and attachments as Base64, and the shared secret in X-Firmaflow-Token.
//
// Scenarios, from "[sim:NAME]" in the process name or the default:
// sign, manual, and large (a signed PDF of LargeSize bytes, written to the
// webhook as a stream). PostArchive archives a process firmaflow never sent.
package cellosignsim

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"sync"
	"time"

	"github.com/firmaflow/firmaflow/providers/cellosign"
	"github.com/firmaflow/firmaflow/simulators/simkit"
)

// Scenario names.
const (
	ScenarioSign   = "sign"
	ScenarioManual = "manual"
	ScenarioLarge  = "large"
)

// Options configure a Simulator.
type Options struct {
	Token, Project   string
	WebhookURL       string
	WebhookSecret    string
	DefaultScenario  string
	StepDelay        time.Duration
	LargeSize        int // bytes of the large scenario's PDF (default 40 MiB)
	DeliveryAttempts int
	RetryBackoff     time.Duration
	Faults           simkit.Faults
	Logger           *slog.Logger
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

	mu    sync.Mutex
	procs map[string]*proc // by reference
}

type proc struct {
	id, reference, name, scenario, kind, status string
	recipients                                  []cellosign.Recipient
	pdf                                         []byte
	counts                                      Counts
	delivered                                   int
	signedSHA                                   string
}

// Counts are what the simulator saw done to one process.
type Counts = simkit.Counts

// ProcessView is a process as tests see it.
type ProcessView struct {
	ID, Reference, Kind, Status string
	Recipients                  int
	Counts                      Counts
	ArchivesDelivered           int
	SignedSHA256                []string
}

// New returns a simulator.
func New(opts Options) *Simulator {
	if opts.StepDelay <= 0 {
		opts.StepDelay = 50 * time.Millisecond
	}
	if opts.LargeSize <= 0 {
		opts.LargeSize = 40 << 20
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
	s := &Simulator{opts: opts, mux: http.NewServeMux(), client: &http.Client{Timeout: 5 * time.Minute},
		faults: simkit.NewInjector(opts.Faults), ctx: ctx, stop: stop, procs: map[string]*proc{}}
	for _, kind := range []string{"sessions", "workflows"} {
		s.mux.HandleFunc("POST /"+kind, s.auth(s.create(kind)))
		s.mux.HandleFunc("GET /"+kind, s.auth(s.list(kind)))
		s.mux.HandleFunc("DELETE /"+kind+"/{id}", s.auth(s.remove))
	}
	return s
}

// Handler serves the simulated API under its base (…/api/v3).
func (s *Simulator) Handler() http.Handler { return s.faults.Middleware(s.mux) }

// Close stops the scenarios.
func (s *Simulator) Close() { s.stop(); s.wg.Wait() }

// Process returns a view of the process with that reference.
func (s *Simulator) Process(reference string) (ProcessView, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.procs[reference]
	if !ok {
		return ProcessView{}, false
	}
	v := ProcessView{ID: p.id, Reference: p.reference, Kind: p.kind, Status: p.status, Recipients: len(p.recipients),
		Counts: p.counts, ArchivesDelivered: p.delivered}
	if p.signedSHA != "" {
		v.SignedSHA256 = []string{p.signedSHA}
	}
	return v, true
}

func (s *Simulator) auth(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Token "+s.opts.Token || r.URL.Query().Get("project") != s.opts.Project {
			http.Error(w, `{"detail":"Invalid token or project."}`, http.StatusUnauthorized)
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
			http.Error(w, `{"detail":"invalid JSON"}`, http.StatusBadRequest)
			return
		}
		if req.Reference == "" || len(req.Recipients) == 0 || len(req.Files) == 0 || (kind == "sessions") != (len(req.Recipients) == 1) {
			http.Error(w, `{"detail":"reference, files and recipients are required; a session has exactly one recipient"}`, http.StatusBadRequest)
			return
		}
		pdf, err := base64.StdEncoding.DecodeString(req.Files[0].Content)
		if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF")) {
			http.Error(w, `{"detail":"files must be Base64 PDFs"}`, http.StatusBadRequest)
			return
		}
		p := &proc{id: newID(), reference: req.Reference, name: req.Name, kind: kind, status: cellosign.StatusSent,
			recipients: req.Recipients, pdf: pdf, scenario: s.opts.DefaultScenario}
		if m := scenarioTag.FindStringSubmatch(req.Name); m != nil {
			p.scenario = m[1]
		}
		s.mu.Lock()
		s.procs[p.reference] = p
		s.mu.Unlock()
		answer := cellosign.Process{ID: p.id, Reference: p.reference, Status: p.status}
		if p.scenario != ScenarioManual {
			s.wg.Add(1)
			go func() { defer s.wg.Done(); s.play(p) }()
		}
		simkit.WriteJSON(w, http.StatusCreated, answer)
	}
}

func (s *Simulator) list(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		out := cellosign.ProcessList{Results: []cellosign.Process{}}
		if p, ok := s.procs[r.URL.Query().Get("reference")]; ok && p.kind == kind {
			out.Results = append(out.Results, cellosign.Process{ID: p.id, Reference: p.reference, Status: p.status})
		}
		simkit.WriteJSON(w, http.StatusOK, out)
	}
}

func (s *Simulator) remove(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.procs {
		if p.id == r.PathValue("id") {
			p.counts.Cancels++
			if p.status == cellosign.StatusSubmitted {
				http.Error(w, `{"detail":"already submitted"}`, http.StatusConflict)
				return
			}
			p.status = cellosign.StatusDeleted
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	http.Error(w, `{"detail":"not found"}`, http.StatusNotFound)
}

func (s *Simulator) play(p *proc) {
	select {
	case <-s.ctx.Done():
		return
	case <-time.After(s.opts.StepDelay * time.Duration(len(p.recipients))):
	}
	s.mu.Lock()
	if p.status != cellosign.StatusSent {
		s.mu.Unlock()
		return
	}
	p.status = cellosign.StatusSubmitted
	s.mu.Unlock()
	s.archive(p)
}

// PostArchive posts an archive for a process firmaflow never sent.
func (s *Simulator) PostArchive(ctx context.Context, reference string) bool {
	p := &proc{id: newID(), reference: reference, name: "outside firmaflow", kind: "sessions", status: cellosign.StatusSubmitted,
		recipients: []cellosign.Recipient{{ID: 1, Name: "Outside Signer", Email: "outside@example.com"}},
		pdf:        []byte("%PDF-1.4\n% signed outside firmaflow " + reference + "\n%%EOF\n"), scenario: ScenarioSign}
	s.mu.Lock()
	s.procs[reference] = p
	s.mu.Unlock()
	return s.archive(p)
}

// signed returns the signed PDF as a reader (streamed for the large scenario).
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

// largePDF yields a PDF of n bytes without holding it.
func largePDF(n int) io.Reader {
	head := []byte("%PDF-1.4\n")
	return io.MultiReader(bytes.NewReader(head), io.LimitReader(repeat('x'), int64(n-len(head))))
}

type repeat byte

func (r repeat) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

// archive posts the WHP_ARCHIVE body, written as a stream (the signed PDF
// encoded to Base64 on the fly), redelivering until a 200.
func (s *Simulator) archive(p *proc) bool {
	open, sum := s.signed(p)
	s.mu.Lock()
	p.signedSHA = sum
	s.mu.Unlock()
	meta, _ := json.Marshal(map[string]any{
		"event":     map[string]string{"type": "WHP_ARCHIVE", "timestamp": time.Now().UTC().Format("2006-01-02T15:04:05.000000")},
		"reference": p.reference,
		"sessions": []map[string]any{{"id": p.id, "reference": p.reference, "recipient": map[string]any{"id": 1, "name": p.recipients[0].Name,
			"otp_destination": map[string]string{"address": p.recipients[0].Email, "type": "email", "status": "sent"}}}},
		"signatures": []map[string]any{{"id": "SIGNATURE1", "signed_at": time.Now().UTC().Format("2006-01-02T15:04:05.000000"),
			"signed_by": map[string]string{"id": "1", "name": p.recipients[0].Name}}},
		"data": []any{},
	})
	attachment := base64.StdEncoding.EncodeToString([]byte("attachment of " + p.reference))
	body := func() io.Reader {
		pr, pw := io.Pipe()
		go func() {
			pw.CloseWithError(func() error {
				fmt.Fprintf(pw, `%s,"attachments":[{"id":"ATTACHMENT1","filename":"id-card.png","mimetype":"image/png","content":"%s"}],`,
					bytes.TrimSuffix(meta, []byte("}")), attachment)
				io.WriteString(pw, `"signed_document":{"filename":"SIGNED.pdf","mimetype":"application/pdf","content":"`)
				enc := base64.NewEncoder(base64.StdEncoding, pw)
				if _, err := io.Copy(enc, open()); err != nil {
					return err
				}
				enc.Close()
				_, err := io.WriteString(pw, `"}}`)
				return err
			}())
		}()
		return pr
	}
	ok, refused := false, 0
	backoff := s.opts.RetryBackoff
	for attempt := 1; attempt <= s.opts.DeliveryAttempts && !ok; attempt++ {
		req, _ := http.NewRequestWithContext(s.ctx, http.MethodPost, s.webhookURL(), body())
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Firmaflow-Token", s.opts.WebhookSecret)
		resp, err := s.client.Do(req)
		if err == nil {
			var ans cellosign.Answer
			json.NewDecoder(resp.Body).Decode(&ans)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && ans.Status == "0" {
				ok = true
				break
			}
			refused++
		}
		select {
		case <-s.ctx.Done():
			attempt = s.opts.DeliveryAttempts
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 2*time.Second)
	}
	s.mu.Lock()
	p.counts.WebhooksRefused += refused
	if ok {
		p.delivered++
	}
	s.mu.Unlock()
	return ok
}

func newID() string {
	b := make([]byte, 5)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// SetWebhookURL points the archives at a bridge.
func (s *Simulator) SetWebhookURL(u string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.WebhookURL = u
}

func (s *Simulator) webhookURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opts.WebhookURL
}
