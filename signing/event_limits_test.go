package signing

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestValidateBoundsEveryField(t *testing.T) {
	ok := Event{Key: "autosign:clsoxs9z3000s105mqswgw0im", Provider: "autosign", ProviderRef: "clsoxls930005exxdrxiuc5to",
		Type: EventCompleted, Signer: &SignerRef{Name: "Ana", Email: "ana@example.com"}, Reason: "ok",
		Documents: []EventDocument{{Kind: KindSigned, Name: "a.pdf", URL: "https://x.test/a", ContentType: "application/pdf"}}}
	if err := ok.Validate(); err != nil {
		t.Fatalf("a normal event is refused: %v", err)
	}
	over := func(n int) string { return strings.Repeat("z", n+1) }
	cases := map[string]func(e *Event){
		"key":                     func(e *Event) { e.Key = over(MaxEventKeyBytes) },
		"provider":                func(e *Event) { e.Provider = over(MaxEventProviderBytes) },
		"provider_ref":            func(e *Event) { e.ProviderRef = over(MaxEventProviderRefBytes) },
		"type":                    func(e *Event) { e.Type = EventType(over(MaxEventProviderBytes)) },
		"reason":                  func(e *Event) { e.Reason = over(MaxEventReasonBytes) },
		"signer.name":             func(e *Event) { e.Signer = &SignerRef{Name: over(MaxSignerNameBytes)} },
		"signer.email":            func(e *Event) { e.Signer = &SignerRef{Email: over(MaxSignerEmailBytes)} },
		"documents":               func(e *Event) { e.Documents = make([]EventDocument, MaxEventDocuments+1) },
		"documents[0].name":       func(e *Event) { e.Documents[0].Name = over(MaxDocumentNameBytes) },
		"documents[0].url":        func(e *Event) { e.Documents[0].URL = over(MaxDocumentURLBytes) },
		"documents[0].stored_key": func(e *Event) { e.Documents[0].StoredKey = over(MaxDocumentKeyBytes) },
		"documents[0].content_type": func(e *Event) {
			e.Documents[0].ContentType = over(MaxContentTypeBytes)
		},
		"documents[0].sha256": func(e *Event) { e.Documents[0].SHA256 = over(MaxSHA256Bytes) },
		"documents[0].kind":   func(e *Event) { e.Documents[0].Kind = DocumentKind(over(MaxEventProviderBytes)) },
		"(encoded event)": func(e *Event) {
			e.Documents = nil
			for range MaxEventDocuments {
				e.Documents = append(e.Documents, EventDocument{URL: strings.Repeat("u", MaxDocumentURLBytes)})
			}
		},
	}
	for field, edit := range cases {
		e := ok
		e.Documents = append([]EventDocument(nil), ok.Documents...)
		edit(&e)
		var tooLarge *EventTooLargeError
		err := e.Validate()
		if !errors.As(err, &tooLarge) {
			t.Fatalf("%s over its bound: got %v, want *EventTooLargeError", field, err)
		}
		if tooLarge.Field != field {
			t.Fatalf("%s over its bound reported as %q", field, tooLarge.Field)
		}
	}
}

// FuzzEventValidate: whatever the fields, Validate does not panic, and an
// event it accepts encodes within MaxEventBytes with each field in bounds.
func FuzzEventValidate(f *testing.F) {
	f.Add("k", "p", "ref", "name", "a@b", "reason", "doc.pdf", "https://x/y", 1)
	f.Add(strings.Repeat("k", 300), "p", "ref", "", "", "", "", "", 0)
	f.Add("k", "p", "ref", "n", "e", strings.Repeat("r", 5000), "d", "u", 60)
	f.Fuzz(func(t *testing.T, key, provider, ref, name, email, reason, docName, url string, docs int) {
		e := Event{Key: key, Provider: provider, ProviderRef: ref, Type: EventSignerSigned,
			Signer: &SignerRef{Name: name, Email: email}, Reason: reason}
		for i := 0; i < docs%(MaxEventDocuments+5); i++ {
			e.Documents = append(e.Documents, EventDocument{Name: docName, URL: url})
		}
		raw, _ := json.Marshal(e)
		if bound := e.encodedSizeBound(); bound < len(raw) {
			t.Fatalf("encodedSizeBound %d below the encoding's %d bytes", bound, len(raw))
		}
		if e.Validate() != nil {
			return
		}
		if len(raw) > MaxEventBytes || len(key) > MaxEventKeyBytes || len(ref) > MaxEventProviderRefBytes ||
			len(name) > MaxSignerNameBytes || len(email) > MaxSignerEmailBytes || len(reason) > MaxEventReasonBytes ||
			len(e.Documents) > MaxEventDocuments || (len(e.Documents) > 0 && (len(docName) > MaxDocumentNameBytes || len(url) > MaxDocumentURLBytes)) {
			t.Fatalf("Validate accepted an event over its bounds (%d bytes encoded)", len(raw))
		}
	})
}
