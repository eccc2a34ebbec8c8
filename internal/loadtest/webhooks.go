package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/providers/arqsign"
	"github.com/firmaflow/firmaflow/providers/autosign"
	"github.com/firmaflow/firmaflow/signing"
	"github.com/firmaflow/firmaflow/webhookbridge"
)

// IngestProviders are the providers whose webhooks the ingest scenario can
// write and sign itself.
var IngestProviders = []string{autosign.Name, arqsign.Name}

// webhookRequest is one webhook as the provider would post it.
type webhookRequest struct {
	path   string // under the bridge's URL
	header http.Header
	body   []byte
}

// webhookWriter writes webhooks that carry an informational event (one that
// never ends a process), each with its own event id, authenticated with the
// configured secret the way the provider (and its simulator) does it.
type webhookWriter struct {
	provider string
	secret   string
	// run makes event ids unique across runs against one deployment.
	run string
	// parser is the provider's own webhook parser: the raw phase's events
	// are what the bridge makes of the same kind of webhook.
	parser providers.Webhook
	base   time.Time
}

func newWebhookWriter(provider, secret, run string, reg *providers.Registry) (*webhookWriter, error) {
	parser, ok := reg.Webhook(provider)
	if !ok {
		return nil, fmt.Errorf("loadtest: provider %q is not configured", provider)
	}
	switch provider {
	case autosign.Name, arqsign.Name:
	default:
		return nil, fmt.Errorf("loadtest: the ingest scenario writes %v webhooks, not %q", IngestProviders, provider)
	}
	if secret == "" {
		return nil, fmt.Errorf("loadtest: no webhook secret configured for %s", provider)
	}
	return &webhookWriter{provider: provider, secret: secret, run: run, parser: parser, base: time.Now().UTC().Truncate(time.Second)}, nil
}

// request is webhook number n for the provider process ref of process id.
func (w *webhookWriter) request(id, ref string, n int) (webhookRequest, error) {
	at := w.base.Add(time.Duration(n) * time.Second)
	header := http.Header{"Content-Type": []string{"application/json"}}
	switch w.provider {
	case autosign.Name:
		// "transaction_started": informational; the envelope id is the
		// event's dedup key.
		body, err := json.Marshal(autosign.Webhook{Created: at.Format(time.RFC3339Nano), ID: fmt.Sprintf("loadtest-%s-%d", w.run, n),
			Type: "transaction_started", Data: autosign.WebhookData{ID: ref, Status: "started"}})
		if err != nil {
			return webhookRequest{}, fmt.Errorf("loadtest: autosign webhook: %w", err)
		}
		header.Set(webhookbridge.TokenHeader, w.secret)
		// Posted where Autosign posts it: the transaction's own
		// notification endpoint, which names the process.
		return webhookRequest{path: "/webhooks/" + autosign.Name + "/process/" + url.PathEscape(id), header: header, body: body}, nil
	default: // arqsign
		// Trigger 7, "Processo reenviado": informational; a new resend
		// date makes it a new event.
		brt := time.FixedZone("BRT", -3*3600)
		body, err := json.Marshal(arqsign.WebhookPayload{
			Evento: arqsign.TriggerNames[arqsign.TriggerResent], IDEvento: arqsign.TriggerResent, IDProcesso: ref,
			IDConta: "loadtest", IDWebhook: "loadtest-" + w.run, DataHoraAtual: time.Now().In(brt).Format("02/01/2006 15:04:05"),
			DataReenvio: at.In(brt).Format("02/01/2006 15:04:05"),
		})
		if err != nil {
			return webhookRequest{}, fmt.Errorf("loadtest: arqsign webhook: %w", err)
		}
		header.Set("HMAC", arqsign.Sign(body, w.secret))
		return webhookRequest{path: "/webhooks/" + arqsign.Name + "/monitoring", header: header, body: body}, nil
	}
}

// event is the neutral event the bridge makes of webhook number n for ref.
func (w *webhookWriter) event(ctx context.Context, id, ref string, n int) (signing.Event, error) {
	req, err := w.request(id, ref, n)
	if err != nil {
		return signing.Event{}, err
	}
	subpath := strings.TrimPrefix(strings.TrimPrefix(req.path, "/webhooks/"+w.provider), "/")
	events, err := w.parser.Parse(ctx, subpath, req.header, bytes.NewReader(req.body), nil)
	if err != nil {
		return signing.Event{}, fmt.Errorf("loadtest: parse own %s webhook: %w", w.provider, err)
	}
	if len(events) != 1 {
		return signing.Event{}, fmt.Errorf("loadtest: own %s webhook parsed to %d events", w.provider, len(events))
	}
	return events[0], nil
}
