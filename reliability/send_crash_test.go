package reliability

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/firmaflow/firmaflow/config"
	"github.com/firmaflow/firmaflow/internal/devstack"
	"github.com/firmaflow/firmaflow/internal/simulated"
	"github.com/firmaflow/firmaflow/providers/arqsign"
	"github.com/firmaflow/firmaflow/providers/autosign"
	"github.com/firmaflow/firmaflow/providers/contractualis"
	"github.com/firmaflow/firmaflow/signing"
	"github.com/firmaflow/firmaflow/starter/processes"
)

// holdAfterAccept proxies a provider's API. While holding, the call whose
// path ends in suffix reaches the provider and is accepted, then its answer
// is held back until the caller goes away: the window between the
// provider's accept and the Send activity's completion, in which the test
// kills the worker.
type holdAfterAccept struct {
	proxy    *httputil.ReverseProxy
	suffix   string
	holding  atomic.Bool
	accepted chan string
	// released ends every held answer when the test ends, so that closing
	// the server never waits on one.
	released chan struct{}
}

func newHold(t *testing.T, target, suffix string) *holdAfterAccept {
	u, err := url.Parse(target)
	require.NoError(t, err)
	h := &holdAfterAccept{proxy: httputil.NewSingleHostReverseProxy(u), suffix: suffix, accepted: make(chan string, 4), released: make(chan struct{})}
	h.holding.Store(true)
	return h
}

func (h *holdAfterAccept) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.holding.Load() || r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, h.suffix) {
		h.proxy.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	h.proxy.ServeHTTP(rec, r)
	if rec.Code >= 300 {
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
		return
	}
	h.accepted <- r.URL.Path
	select {
	case <-r.Context().Done(): // the worker died with the answer unread
	case <-h.released:
	}
}

// TestWorkerKilledAfterProviderAcceptedSendsOnce kills the real worker
// binary while the provider's accepting answer to a send is in flight
// (Autosign's start, Contractualis' generate-document, ArqSIGN's send),
// restarts it, and
// checks that Temporal's retry of Send leaves exactly one live provider
// process, the one the workflow names.
func TestWorkerKilledAfterProviderAcceptedSendsOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out the activity heartbeat timeout")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	workerBin := buildWorker(t)
	state := t.TempDir()
	cfg, err := config.LoadFrom(ctx, mapLookuper{"FIRMAFLOW_DOCSTORE_URL": filepath.Join(state, "documents")})
	require.NoError(t, err)
	stack, err := devstack.Start(ctx, devstack.Options{Config: cfg, NoWorker: true, Logger: log, SimStepDelay: 5 * time.Millisecond})
	require.NoError(t, err)
	defer stack.Close()

	holds := map[string]*holdAfterAccept{
		autosign.Name:      newHold(t, stack.SimURLs[autosign.Name], "/start"),
		contractualis.Name: newHold(t, stack.SimURLs[contractualis.Name], "/generate-document"),
		arqsign.Name:       newHold(t, stack.SimURLs[arqsign.Name], "/enviar-documento-para-assinar"),
	}
	extraEnv := []string{}
	for name, h := range holds {
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		t.Cleanup(func() { close(h.released) }) // runs first
		extraEnv = append(extraEnv, strings.ToUpper(name)+"_BASE_URL="+srv.URL)
	}
	start := func(logName string) *exec.Cmd {
		logFile, err := os.Create(filepath.Join(state, logName))
		require.NoError(t, err)
		t.Cleanup(func() { logFile.Close() })
		cmd := exec.Command(workerBin)
		cmd.Env = append(append(os.Environ(), stack.WorkerEnv()...), extraEnv...) // later entries win
		cmd.Stdout, cmd.Stderr = logFile, logFile
		require.NoError(t, cmd.Start())
		return cmd
	}
	worker := start("worker-1.log")
	t.Cleanup(func() { worker.Process.Kill(); worker.Wait() }) // on an early failure

	inputs := map[string]signing.Input{}
	for name := range holds {
		id := "crash-" + name + "-" + processes.NewProcessID()
		doc, err := stack.Store.Put(ctx, "inbox/"+id+"/c.pdf", strings.NewReader("%PDF-1.4\n"+id+"\n%%EOF\n"), "application/pdf")
		require.NoError(t, err)
		in := signing.Input{ProcessID: id, Provider: name, Title: fmt.Sprintf("Crash %s [sim:manual]", id),
			Documents: []signing.DocumentRef{{Name: "c.pdf", Key: doc.Key, ContentType: "application/pdf"}},
			Signers:   []signing.Signer{{Name: "Ana", Email: "ana@example.com", Order: 1}}}
		_, err = processes.Start(ctx, stack.Client, stack.Config.Temporal.TaskQueue, in)
		require.NoError(t, err)
		inputs[name] = in
	}
	for name, h := range holds {
		select {
		case <-h.accepted:
		case <-time.After(time.Minute):
			t.Fatalf("%s never accepted the send", name)
		}
	}
	require.NoError(t, worker.Process.Signal(syscall.SIGKILL))
	worker.Wait()
	for _, h := range holds {
		h.holding.Store(false)
	}
	worker = start("worker-2.log")
	defer func() { worker.Process.Signal(syscall.SIGTERM); worker.Wait() }()

	for name, in := range inputs {
		var st signing.State
		require.Eventually(t, func() bool {
			st, err = processes.State(ctx, stack.Client, in.ProcessID)
			return err == nil && st.ProviderRef != ""
		}, 2*time.Minute, 200*time.Millisecond, "%s: the retried send completes", name)
		live := liveAt(stack, name, in.Title)
		t.Logf("oracle: %s provider processes live after a worker kill between accept and completion: %d", name, len(live))
		require.Equal(t, []string{st.ProviderRef}, live, "%s: exactly one live provider process, the workflow's", name)
	}
}

// liveAt lists the provider processes named title that are live (not a
// deleted document, not a draft nobody was invited to).
func liveAt(stack *devstack.Stack, provider, title string) []string {
	var ids []string
	switch provider {
	case autosign.Name:
		for _, id := range simulated.Autosign(stack).Processes() {
			if v, ok := simulated.Autosign(stack).Process(id); ok && v.Name == title && v.Status != autosign.StatusDraft {
				ids = append(ids, id)
			}
		}
	case arqsign.Name:
		for _, v := range simulated.ArqSIGN(stack).Processes() {
			if v.Name == title && v.Status != arqsign.StatusCancelled {
				ids = append(ids, v.ID)
			}
		}
	case contractualis.Name:
		for _, v := range simulated.Contractualis(stack).Processes() {
			if v.Name == title && v.Status != contractualis.StatusDeleted {
				ids = append(ids, v.ID)
			}
		}
	}
	return ids
}
