package cellosignsim_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/firmaflow/firmaflow/providers/cellosign"
	"github.com/firmaflow/firmaflow/simulators/cellosignsim"
)

func newSim(t *testing.T, hook string) (*cellosignsim.Simulator, *httptest.Server) {
	sim := cellosignsim.New(cellosignsim.Options{Token: "tok", Project: "proj", WebhookURL: hook, WebhookSecret: "sec",
		StepDelay: time.Millisecond, RetryBackoff: time.Millisecond, DeliveryAttempts: 5, Logger: slog.New(slog.DiscardHandler)})
	api := httptest.NewServer(sim.Handler())
	t.Cleanup(func() { api.Close(); sim.Close() })
	return sim, api
}

func TestAuthAndSessionRules(t *testing.T) {
	_, api := newSim(t, "")
	post := func(path, token, body string) int {
		req, _ := http.NewRequest(http.MethodPost, api.URL+path+"?projectName=proj", strings.NewReader(body))
		req.Header.Set("Authorization", "Token "+token)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	two := `{"reference":"r","name":"n","recipients":[{"id":1,"name":"a","email":"a@x"},{"id":2,"name":"b","email":"b@x"}],"files":[{"filename":"a.pdf","content":"JVBERi0K"}]}`
	require.Equal(t, http.StatusUnauthorized, post("/api/v3/workflows", "bad", two))
	require.Equal(t, http.StatusBadRequest, post("/api/v3/sessions", "tok", two), "a session has one recipient")
	require.Equal(t, http.StatusCreated, post("/api/v3/workflows", "tok", two))
	require.Equal(t, http.StatusBadRequest, post("/api/v3/workflows", "tok", two), "references are unique")
}

func TestArchiveRedeliveredUntilAccepted(t *testing.T) {
	var calls atomic.Int32
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		require.Equal(t, "sec", r.Header.Get(cellosignsim.TokenHeader))
		if calls.Add(1) < 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
			json.NewEncoder(w).Encode(cellosign.Answer{Status: cellosign.AnswerError, ErrorDesc: "later"})
			return
		}
		json.NewEncoder(w).Encode(cellosign.Answer{Status: cellosign.AnswerOK, Document: &cellosign.AnswerDocument{}})
	}))
	defer hook.Close()
	sim, _ := newSim(t, hook.URL)
	ok, err := sim.PostArchive(context.Background(), "outside")
	require.NoError(t, err)
	require.True(t, ok)
	v, _ := sim.Process("outside")
	require.Equal(t, 2, v.Counts.WebhooksRefused)
	require.Equal(t, 1, v.ArchivesDelivered)
	require.Len(t, v.SignedSHA256, 1)
	require.Len(t, sim.Processes(), 1)
}
