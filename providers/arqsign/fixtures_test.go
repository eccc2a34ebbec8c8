package arqsign_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/firmaflow/firmaflow/docstore"
	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/providers/arqsign"
	"github.com/firmaflow/firmaflow/signing"
)

// One fixture per trigger the manual lists; each maps to one neutral event.
func TestFixturesMapEveryTrigger(t *testing.T) {
	want := map[string]signing.EventType{
		"sent": signing.EventStarted, "delivery-failed": signing.EventDeliveryFailed, "signed": signing.EventSignerSigned,
		"rejected": signing.EventRejected, "cancelled": signing.EventCancelled, "expired": signing.EventExpired,
		"resent": signing.EventResent, "completed-links": signing.EventCompleted, "completed-base64": signing.EventCompleted,
	}
	c, _ := arqsign.New(arqsign.Options{BaseURL: "https://api-rest.arqsign.com"})
	store, err := docstore.Open(context.Background(), "mem://")
	require.NoError(t, err)
	for name, typ := range want {
		body, err := os.ReadFile(filepath.Join("testdata", "webhooks", name+".json"))
		require.NoError(t, err)
		evs, err := c.Parse(context.Background(), "", nil, bytes.NewReader(body), store)
		require.NoError(t, err, name)
		require.Len(t, evs, 1)
		ev := evs[0]
		require.Equal(t, typ, ev.Type, name)
		require.Equal(t, "5f0c7c1e-8a57-4a54-9d61-1b0e4f3f2a10", ev.ProviderRef)
		require.False(t, ev.OccurredAt.IsZero(), "dataHoraAtual is parsed")
		require.True(t, strings.HasPrefix(ev.Key, "arqsign:"))
		switch name {
		case "delivery-failed":
			require.Equal(t, "bruno@example.com", ev.Signer.Email)
		case "signed":
			require.Equal(t, "ana@example.com", ev.Signer.Email)
		case "rejected":
			require.Equal(t, "bruno@example.com", ev.Signer.Email)
			require.Equal(t, "Valor do aluguel diverge do combinado", ev.Reason)
		case "completed-links":
			require.Equal(t, "https://api-rest.arqsign.com/files/d1", ev.Documents[0].URL)
			require.Equal(t, signing.KindSignatureRecord, ev.Documents[1].Kind)
		case "completed-base64":
			d, err := store.Describe(context.Background(), ev.Documents[0].StoredKey)
			require.NoError(t, err)
			require.Equal(t, int64(len("%PDF-1.7\nsigned\n%%EOF\n")), d.Size)
		}
	}
}

// FuzzParseWebhook: no input panics; anything not accepted is an
// *InvalidPayloadError (a 4xx, never a signal), and anything accepted
// names its process.
func FuzzParseWebhook(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "webhooks", "*.json"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"idProcesso":"p","idEvento":8,"documentos":[{"base64Documento":"!!"}]}`))
	f.Add([]byte(`{"evento":"Processo expirado","idProcesso":" "}`))
	c, _ := arqsign.New(arqsign.Options{BaseURL: "https://api-rest.arqsign.com"})
	store, err := docstore.Open(context.Background(), "mem://")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := c.Parse(context.Background(), "", nil, bytes.NewReader(body), store)
		if err != nil {
			var invalid *providers.InvalidPayloadError
			var tooLarge *signing.EventTooLargeError // a field over its bound (413)
			if !errors.As(err, &invalid) && !errors.As(err, &tooLarge) {
				t.Fatalf("non-validation error for client input: %v", err)
			}
			if evs != nil {
				t.Fatal("events returned with an error")
			}
			return
		}
		if len(evs) != 1 || strings.TrimSpace(evs[0].ProviderRef) == "" || evs[0].Type == "" || evs[0].Key == "" {
			t.Fatalf("accepted payload yields an incomplete event: %+v", evs)
		}
	})
}
