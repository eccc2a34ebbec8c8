package simkit

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestLedgerRecordsTheTruthAndRoundTripsAsJSON(t *testing.T) {
	l := NewLedger("arqsign")
	l.Open("p1", "Contract", "sign", []LedgerSigner{{Name: "Ana", Email: "ana@x"}, {Name: "Bruno", Email: "bruno@x"}})
	l.Signer("p1", "bruno@x", SignerDeliveryFailed, "")
	l.Call("p1", CallResend, http.StatusOK)
	l.Reopen("p1")
	l.Signer("p1", "ana@x", SignerSigned, "")
	l.Signer("p1", "ana@x", SignerRejected, "late") // a signer who signed stays signed
	l.Signer("p1", "bruno@x", SignerSigned, "")
	l.Issue("p1", Doc("signed", "c.pdf", []byte("%PDF-1.4 signed")))
	l.End("p1", OutcomeCompleted, "")
	l.Served("p1", "/sim/files/p1/0/signed", []byte("%PDF-1.4 signed"))
	l.Posted("p1", "8:abc", EventCompleted, "", time.Now(), Result{Attempts: 3, Status: 200, FirstOK: time.Now()})
	l.Call("unknown", CallCancel, http.StatusOK) // ignored, no panic

	p, ok := l.Process("p1")
	require.True(t, ok)
	require.Equal(t, OutcomeCompleted, p.Outcome)
	require.Equal(t, SignerSigned, p.Signers[0].Status)
	require.Equal(t, SignerSigned, p.Signers[1].Status)
	require.Equal(t, 1, p.CallCount(CallResend))
	require.Equal(t, 1, p.CallCount(CallSend))
	require.Equal(t, p.Documents[0].SHA256, p.Downloads[0].SHA256)
	require.EqualValues(t, len("%PDF-1.4 signed"), p.Documents[0].Size)
	require.True(t, p.Webhooks[0].Delivered())
	require.Equal(t, 3, p.Webhooks[0].Attempts)

	// Copies are copies.
	p.Signers[0].Status = SignerPending
	again, _ := l.Process("p1")
	require.Equal(t, SignerSigned, again.Signers[0].Status)

	// JSON round trip (simulator state is persisted) and GET /sim/ledger.
	rec := httptest.NewRecorder()
	l.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/sim/ledger", nil))
	var served []ProcessLedger
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &served))
	restored := NewLedger("arqsign")
	restored.Restore(served)
	back, ok := restored.Process("p1")
	require.True(t, ok)
	require.Equal(t, again.Outcome, back.Outcome)
	want, _ := json.Marshal(again)
	got, _ := json.Marshal(back)
	require.JSONEq(t, string(want), string(got))
}

func TestLedgerOutcomes(t *testing.T) {
	l := NewLedger("x")
	l.Open("p", "n", "expire", []LedgerSigner{{Email: "a@x"}})
	l.End("p", OutcomeExpired, "")
	l.Call("p", CallRenewal, http.StatusOK)
	l.Reopen("p")
	p, _ := l.Process("p")
	require.Equal(t, OutcomeOpen, p.Outcome, "a renewal reopens an expired process")
	l.End("p", OutcomeExpired, "")
	l.End("p", OutcomeWithdrawn, "")
	p, _ = l.Process("p")
	require.Equal(t, OutcomeExpired, p.Outcome, "withdrawing an expired process leaves it expired")
	l.Call("p", CallRenewal, http.StatusOK)
	l.Reopen("p")
	l.End("p", OutcomeWithdrawn, "")
	l.End("p", OutcomeCancelled, "") // the first final outcome sticks
	p, _ = l.Process("p")
	require.Equal(t, OutcomeWithdrawn, p.Outcome)
	l.Signer("p", "a@x", SignerRejected, "no")
	p, _ = l.Process("p")
	require.Equal(t, OutcomeWithdrawn, p.Outcome, "nothing after the end changes the outcome")
}

func TestSlowCallsTakeEffectButAnswerLate(t *testing.T) {
	in := NewInjector(Faults{SlowRate: 1, SlowDelay: 200 * time.Millisecond})
	calls := 0
	h := in.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte("ok"))
	}))
	start := time.Now()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/api/send", nil))
	require.GreaterOrEqual(t, time.Since(start), 200*time.Millisecond)
	require.Equal(t, http.StatusCreated, rec.Code)
	require.Equal(t, "ok", rec.Body.String())
	require.Equal(t, 1, calls)
	require.Equal(t, 1, in.Slowed)

	start = time.Now()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/api/status", nil))
	require.Less(t, time.Since(start), 200*time.Millisecond, "reads are not slowed")
}
