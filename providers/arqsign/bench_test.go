package arqsign_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/firmaflow/firmaflow/providers/arqsign"
)

// BenchmarkParseMonitoringWebhook: one "signed" notification, HMAC
// verification included, as the bridge does it per request.
func BenchmarkParseMonitoringWebhook(b *testing.B) {
	body, err := os.ReadFile(filepath.Join("testdata", "webhooks", "signed.json"))
	if err != nil {
		b.Fatal(err)
	}
	c, _ := arqsign.New(arqsign.Options{BaseURL: "https://api-rest.arqsign.com"})
	sig := arqsign.Sign(body, secret)
	h := map[string][]string{"Hmac": {sig}}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if !c.Verify(h, bytes.NewReader(body), secret) {
			b.Fatal("verify")
		}
		if _, err := c.Parse(context.Background(), "", nil, bytes.NewReader(body), nil); err != nil {
			b.Fatal(err)
		}
	}
}
