package cellosignsim_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/firmaflow/firmaflow/providers/cellosign"
	"github.com/firmaflow/firmaflow/simulators/cellosignsim"
)

// TestSubmissionsCarryOnAfterARestart: a workflow whose recipients were
// submitting when the simulator closed carries on after a restart on the
// same state file: the remaining recipients submit and the archive is
// posted once.
func TestSubmissionsCarryOnAfterARestart(t *testing.T) {
	var archives atomic.Int32
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		archives.Add(1)
		json.NewEncoder(w).Encode(cellosign.Answer{Status: cellosign.AnswerOK, Document: &cellosign.AnswerDocument{}})
	}))
	defer hook.Close()
	path := filepath.Join(t.TempDir(), "cellosign.json")
	start := func() (*cellosignsim.Simulator, *httptest.Server) {
		sim := cellosignsim.New(cellosignsim.Options{Token: "tok", Project: "proj", WebhookURL: hook.URL, WebhookSecret: "sec",
			StepDelay: 150 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
		require.NoError(t, sim.Persist(path))
		return sim, httptest.NewServer(sim.Handler())
	}
	sim, api := start()
	body := `{"reference":"r1","name":"Restart [sim:sign]","recipients":[` +
		`{"id":1,"name":"a","email":"a@x"},{"id":2,"name":"b","email":"b@x"},{"id":3,"name":"c","email":"c@x"},{"id":4,"name":"d","email":"d@x"}],` +
		`"files":[{"filename":"a.pdf","content":"JVBERi0K"}]}`
	req, _ := http.NewRequest(http.MethodPost, api.URL+"/api/v3/workflows?projectName=proj", strings.NewReader(body))
	req.Header.Set("Authorization", "Token tok")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	require.Eventually(t, func() bool { v, _ := sim.Process("r1"); return v.Submitted >= 2 }, 30*time.Second, 5*time.Millisecond)
	sim.Close()
	api.Close()
	before, _ := sim.Process("r1")
	require.Less(t, before.Submitted, 4, "closed mid-way")

	sim, api = start()
	defer func() { sim.Close(); api.Close() }()
	require.Eventually(t, func() bool { v, _ := sim.Process("r1"); return v.ArchivesDelivered == 1 }, 30*time.Second, 5*time.Millisecond)
	after, _ := sim.Process("r1")
	require.Equal(t, 4, after.Submitted, "each recipient submits once")
	require.Equal(t, int32(1), archives.Load(), "the archive is posted once")
	require.Equal(t, cellosign.StatusSubmitted, after.Status)
}
