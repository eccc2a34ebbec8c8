package cellosignsim_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/firmaflow/firmaflow/providers/cellosign"
	"github.com/firmaflow/firmaflow/simulators/simkit"
)

func TestLedgerRecordsSubmissionsArchiveAndWithdrawal(t *testing.T) {
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		json.NewEncoder(w).Encode(cellosign.Answer{Status: cellosign.AnswerOK, Document: &cellosign.AnswerDocument{}})
	}))
	defer hook.Close()
	sim, api := newSim(t, hook.URL)
	create := func(ref, scenario string) cellosign.Process {
		body := `{"reference":"` + ref + `","name":"n [sim:` + scenario + `]","recipients":[{"id":1,"name":"a","email":"a@x"},{"id":2,"name":"b","email":"b@x"}],"files":[{"filename":"a.pdf","content":"JVBERi0K"}]}`
		req, _ := http.NewRequest(http.MethodPost, api.URL+"/api/v3/workflows?projectName=proj", strings.NewReader(body))
		req.Header.Set("Authorization", "Token tok")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusCreated, resp.StatusCode)
		var p cellosign.Process
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&p))
		return p
	}
	create("signed-ref", "sign")
	require.Eventually(t, func() bool {
		l, _ := sim.LedgerOf("signed-ref")
		return l.Outcome == simkit.OutcomeCompleted && len(l.Webhooks) == 1
	}, 5*time.Second, 5*time.Millisecond)
	l, _ := sim.LedgerOf("signed-ref")
	view, _ := sim.Process("signed-ref")
	require.Equal(t, simkit.SignerSigned, l.Signers[0].Status)
	require.Equal(t, simkit.SignerSigned, l.Signers[1].Status)
	require.Len(t, l.Documents, 2)
	require.Equal(t, view.SignedSHA256[0], l.Documents[0].SHA256)
	require.Equal(t, "attachment", l.Documents[1].Kind)
	require.True(t, l.Webhooks[0].Delivered())

	p := create("withdrawn-ref", "manual")
	for range 2 {
		req, _ := http.NewRequest(http.MethodDelete, api.URL+"/api/v3/workflows/"+p.ID+"?projectName=proj", nil)
		req.Header.Set("Authorization", "Token tok")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
	}
	l, _ = sim.LedgerOf("withdrawn-ref")
	require.Equal(t, simkit.OutcomeWithdrawn, l.Outcome)
	require.Len(t, l.Calls, 3, "send, cancel, and the second cancel (answered 404)")
	require.Equal(t, 1, l.CallCount(simkit.CallCancel))
}
