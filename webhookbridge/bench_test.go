package webhookbridge

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/firmaflow/firmaflow/internal/cpuclock"
	"github.com/firmaflow/firmaflow/signing"
)

// BenchmarkAutosignWebhookOverHTTP is one signed Autosign event through the
// bridge as deployed (its server, on loopback, kept-alive connection) to a
// deliverer that does nothing: what the bridge adds to each event's
// signal, the figure behind the load tool's ingest ratio at concurrency 1.
// It logs as deployed (JSON at Info), to nowhere.
func BenchmarkAutosignWebhookOverHTTP(b *testing.B) {
	d := delivererFunc(func(context.Context, signing.Event) error { return nil })
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	addr := serveBridge(b, edgeBridge(b, Options{Deliverer: d, Logger: log}))
	body, err := os.ReadFile("../providers/autosign/testdata/webhooks/recipient_submitted.json")
	if err != nil {
		b.Fatal(err)
	}
	url := "http://" + addr + "/webhooks/autosign/process/01a22da0-0000-7000-8000-000000000001"
	client := &http.Client{}
	b.ReportAllocs()
	cpu := processCPU(b)
	for b.Loop() {
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set(TokenHeader, edgeSecret)
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
	// Under load the machine's CPU, not one request's wait, bounds
	// throughput: the process's CPU time per request, client included.
	b.ReportMetric(float64(processCPU(b)-cpu)/float64(b.N), "cpu-ns/op")
}

// processCPU is the CPU time this process has used so far (user and system).
func processCPU(b *testing.B) time.Duration {
	cpu, err := cpuclock.Process()
	if err != nil {
		b.Fatal(err)
	}
	return cpu
}

// BenchmarkAutosignWebhookHandler is the same event through the bridge's
// handler alone, without the network: its own CPU, steadier to compare
// than the round trip on a shared machine.
func BenchmarkAutosignWebhookHandler(b *testing.B) {
	d := delivererFunc(func(context.Context, signing.Event) error { return nil })
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	h := edgeBridge(b, Options{Deliverer: d, Logger: log}).Handler()
	body, err := os.ReadFile("../providers/autosign/testdata/webhooks/recipient_submitted.json")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/webhooks/autosign/process/01a22da0-0000-7000-8000-000000000001", bytes.NewReader(body))
		req.Header.Set(TokenHeader, edgeSecret)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
}
