package arqsign

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/signing"
)

// brasilia is ArqSIGN's clock for dataHoraAtual ("dd/mm/aaaa hh:mm:ss").
var brasilia = time.FixedZone("BRT", -3*60*60)

// Sign returns the HMAC header value for body (hex), as the simulator and
// tests send it.
func Sign(body []byte, secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// HasSignature reports whether the HMAC header holds a SHA-256 sized value,
// hex or Base64 encoded: anything else cannot verify, whatever the body.
func (c *Client) HasSignature(header http.Header) bool {
	return presentedHMAC(header) != nil
}

// Verify checks the HMAC header: the SHA-256 HMAC of the body with the
// webhook's secret, hex or Base64 encoded, compared in constant time.
func (c *Client) Verify(header http.Header, body io.Reader, secret string) bool {
	got := presentedHMAC(header)
	if got == nil || secret == "" {
		return false
	}
	m := hmac.New(sha256.New, []byte(secret))
	if _, err := io.Copy(m, body); err != nil {
		return false
	}
	return hmac.Equal(got, m.Sum(nil))
}

// presentedHMAC decodes the HMAC header, nil unless it is 32 bytes.
func presentedHMAC(header http.Header) []byte {
	got := strings.TrimSpace(header.Get(headerHMAC))
	if b, err := hex.DecodeString(got); err == nil && len(b) == sha256.Size {
		return b
	}
	if b, err := base64.StdEncoding.DecodeString(got); err == nil && len(b) == sha256.Size {
		return b
	}
	return nil
}

// Parse reads a monitoring or completion webhook (the subpath, e.g.
// "monitoring" or "completion", is informational: the trigger id decides).
func (c *Client) Parse(ctx context.Context, _ string, _ http.Header, body io.Reader, store providers.Store) ([]signing.Event, error) {
	p, err := DecodeWebhook(body)
	if err != nil {
		return nil, err
	}
	ev := signing.Event{
		Key:         dedupKey(p),
		Provider:    Name,
		ProviderRef: p.IDProcesso,
		OccurredAt:  parseTime(p.DataHoraAtual),
	}
	switch p.IDEvento {
	case TriggerSent:
		ev.Type = signing.EventStarted
	case TriggerResent:
		ev.Type = signing.EventResent
	case TriggerDeliveryFailed:
		ev.Type, ev.Signer = signing.EventDeliveryFailed, affected(p, func(s WebhookSigner) bool { return s.FalhaEnvio })
	case TriggerSigned:
		ev.Type, ev.Signer = signing.EventSignerSigned, affected(p, func(s WebhookSigner) bool { return s.Assinado })
	case TriggerRejected:
		ev.Type, ev.Signer = signing.EventRejected, affected(p, func(s WebhookSigner) bool { return s.AssinaturaRecusada })
		for _, s := range p.Signatarios {
			if s.AssinaturaRecusada {
				ev.Reason = s.MotivoRecusa
			}
		}
	case TriggerCancelled:
		ev.Type = signing.EventCancelled
	case TriggerExpired:
		ev.Type = signing.EventExpired
	case TriggerCompleted:
		ev.Type = signing.EventCompleted
		if ev.Documents, err = documents(ctx, p, store); err != nil {
			return nil, err
		}
	}
	return []signing.Event{ev}, nil
}

// DecodeWebhook decodes and validates a webhook body.
func DecodeWebhook(body io.Reader) (WebhookPayload, error) {
	var p WebhookPayload
	dec := json.NewDecoder(body)
	if err := dec.Decode(&p); err != nil {
		if isTooLarge(err) {
			return p, err
		}
		return p, providers.Invalid(Name, "body is not JSON: %v", err)
	}
	if dec.More() {
		return p, providers.Invalid(Name, "trailing data after the JSON object")
	}
	if strings.TrimSpace(p.IDProcesso) == "" {
		return p, providers.Invalid(Name, "idProcesso is missing")
	}
	if p.IDEvento == 0 {
		// Older configurations send only the trigger's name.
		for id, name := range TriggerNames {
			if strings.EqualFold(strings.TrimSpace(p.Evento), name) {
				p.IDEvento = id
			}
		}
	}
	if _, ok := TriggerNames[p.IDEvento]; !ok {
		return p, providers.Invalid(Name, "unknown trigger idEvento=%d evento=%q", p.IDEvento, p.Evento)
	}
	if p.IDEvento == TriggerCompleted && len(p.Documentos) == 0 {
		return p, providers.Invalid(Name, "completion webhook carries no documentos (enable 'Documentos' in the webhook's return data)")
	}
	return p, nil
}

func isTooLarge(err error) bool {
	_, ok := err.(*http.MaxBytesError)
	return ok
}

// dedupKey identifies an event across ArqSIGN's redeliveries. ArqSIGN has no
// event id and dataHoraAtual is the time of sending, so the key is built from
// what a redelivery repeats: process, trigger, affected signer, and the
// resend/renewal dates that make a later failure or expiry a new event.
func dedupKey(p WebhookPayload) string {
	parts := []string{p.IDProcesso, fmt.Sprint(p.IDEvento), p.DataReenvio, p.DataRenovacao, p.DataExpiracao}
	if p.IDEvento == TriggerDeliveryFailed || p.IDEvento == TriggerSigned || p.IDEvento == TriggerRejected {
		for _, s := range p.Signatarios {
			parts = append(parts, s.ID, strings.ToLower(s.Email))
		}
	}
	return signing.HashKey(Name, []byte(strings.Join(parts, "\x1f")))
}

// affected picks the signer the event is about: with triggers 2 and 3
// ArqSIGN sends only that signer; otherwise the first that matches.
func affected(p WebhookPayload, match func(WebhookSigner) bool) *signing.SignerRef {
	for _, s := range p.Signatarios {
		if match(s) || len(p.Signatarios) == 1 {
			return &signing.SignerRef{Name: s.Nome, Email: s.Email}
		}
	}
	return nil
}

func parseTime(s string) time.Time {
	t, err := time.ParseInLocation("02/01/2006 15:04:05", strings.TrimSpace(s), brasilia)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// documents lists a completion's documents. Links are downloaded later by
// the fetch activity; Base64 content is decoded into the store now, so the
// signal carries a reference and never the bytes.
func documents(ctx context.Context, p WebhookPayload, store providers.Store) ([]signing.EventDocument, error) {
	// Refused before anything is stored: the event could not carry them.
	if len(p.Documentos) > signing.MaxEventDocuments {
		return nil, &signing.EventTooLargeError{Field: "documents", Size: len(p.Documentos), Limit: signing.MaxEventDocuments}
	}
	var out []signing.EventDocument
	for i, d := range p.Documentos {
		name := d.NomeDocumento
		if name == "" {
			name = fmt.Sprintf("documento-%d.pdf", i+1)
		}
		doc, err := document(ctx, p.IDProcesso, i, signing.KindSigned, name, d.LinkParaBaixarDocumento, d.Base64Documento, store)
		if err != nil {
			return nil, err
		}
		out = append(out, doc)
		if r := d.RegistroAssinaturas; r != nil {
			rname := r.Nome
			if rname == "" {
				rname = "registro-de-assinaturas-" + name
			}
			doc, err := document(ctx, p.IDProcesso, i, signing.KindSignatureRecord, rname, r.LinkParaBaixar, r.Base64, store)
			if err != nil {
				return nil, err
			}
			out = append(out, doc)
		}
	}
	return out, nil
}

func document(ctx context.Context, ref string, i int, kind signing.DocumentKind, name, link, b64 string, store providers.Store) (signing.EventDocument, error) {
	doc := signing.EventDocument{Kind: kind, Name: name, ContentType: "application/pdf"}
	// ref and name become a store key: bounded first, so an oversize one is
	// a final refusal (413), not a store failure the provider retries forever.
	if err := signing.CheckLen("provider_ref", ref, signing.MaxEventProviderRefBytes); err != nil {
		return doc, err
	}
	if err := signing.CheckLen("documents[].name", name, signing.MaxDocumentNameBytes); err != nil {
		return doc, err
	}
	switch {
	case link != "":
		doc.URL = link
	case b64 != "":
		if store == nil {
			return doc, fmt.Errorf("arqsign: no document store for Base64 content")
		}
		key := fmt.Sprintf("webhooks/%s/%s/%02d-%s-%s", Name, safeSegment(ref), i, kind, safeSegment(path.Base(name)))
		stored, err := store.Put(ctx, key, &decodeReader{r: base64.NewDecoder(base64.StdEncoding, strings.NewReader(b64))}, doc.ContentType)
		if err != nil {
			var bad *decodeError
			if errors.As(err, &bad) {
				return doc, providers.Invalid(Name, "document %s: invalid Base64: %v", name, bad.err)
			}
			return doc, fmt.Errorf("arqsign: store %s: %w", name, err)
		}
		doc.StoredKey = stored.Key
	default:
		return doc, providers.Invalid(Name, "document %s has neither a link nor Base64 content", name)
	}
	return doc, nil
}

// decodeReader marks errors of the Base64 decoding itself, to tell a bad
// payload (4xx) from a store failure (5xx).
type decodeReader struct{ r io.Reader }

type decodeError struct{ err error }

func (e *decodeError) Error() string { return "base64: " + e.err.Error() }

func (d *decodeReader) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	if err != nil && err != io.EOF {
		return n, &decodeError{err: err}
	}
	return n, err
}

// maxSegment bounds a store key segment taken from the payload: a file
// name longer than the file system's 255 bytes is a store error that a
// redelivery repeats forever.
const maxSegment = 100

func safeSegment(s string) string {
	orig := s
	s = strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r < 0x20 {
			return '_'
		}
		return r
	}, s)
	s = strings.ReplaceAll(s, "..", "_")
	if len(s) > maxSegment {
		// Cut on a rune boundary and keep the cut names apart by a hash of
		// the whole.
		cut := maxSegment
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		sum := sha256.Sum256([]byte(orig))
		s = s[:cut] + "-" + hex.EncodeToString(sum[:6])
	}
	return s
}

// Acknowledge answers ArqSIGN. Its manual asks only for HTTP 200 within
// 100 s; the body is informational. (ArqSIGN deactivates a webhook at once
// on 401, 403 or 404, so those are reserved for requests that are not ArqSIGN's.)
func (c *Client) Acknowledge(w http.ResponseWriter, err error) {
	providers.AcknowledgeJSON(w, err, `{"status":"ok"}`)
}
