package webhookbridge

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"testing"

	"github.com/firmaflow/firmaflow/signing"
)

// BenchmarkAutosignWebhookOverHTTP is one signed Autosign event through the
// bridge as deployed (its server, on loopback, kept-alive connection) to a
// deliverer that does nothing: what the bridge adds to each event's
// signal, the figure behind the load tool's ingest ratio at concurrency 1.
func BenchmarkAutosignWebhookOverHTTP(b *testing.B) {
	d := delivererFunc(func(context.Context, signing.Event) error { return nil })
	addr := serveBridge(b, edgeBridge(b, Options{Deliverer: d}))
	body, err := os.ReadFile("../providers/autosign/testdata/webhooks/recipient_submitted.json")
	if err != nil {
		b.Fatal(err)
	}
	url := "http://" + addr + "/webhooks/autosign/process/01a22da0-0000-7000-8000-000000000001"
	client := &http.Client{}
	b.ReportAllocs()
	b.ResetTimer()
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
}
