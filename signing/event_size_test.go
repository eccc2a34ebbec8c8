package signing

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// countedFields are the fields encodedSizeBound counts, by type. A field
// added to one of these types must be counted there and named here.
var countedFields = map[reflect.Type][]string{
	reflect.TypeFor[Event]():         {"Key", "Provider", "ProviderRef", "ProcessID", "Type", "OccurredAt", "Signer", "Reason", "Documents", "AccountWide"},
	reflect.TypeFor[SignerRef]():     {"Name", "Email"},
	reflect.TypeFor[EventDocument](): {"Kind", "Name", "URL", "StoredKey", "ContentType", "SHA256"},
}

func TestEncodedSizeBoundCoversEveryField(t *testing.T) {
	for typ, names := range countedFields {
		var got []string
		for f := range typ.Fields() {
			got = append(got, f.Name)
		}
		if strings.Join(got, ",") != strings.Join(names, ",") {
			t.Fatalf("%s has fields %v; encodedSizeBound counts %v: count the new field there", typ, got, names)
		}
	}
	// Every string at its worst, each byte needing the longest escape, and
	// long enough that one string left out of the bound outweighs its slack.
	for _, worst := range []string{"\x00", "<", "\xff", "\u2028", "\""} {
		e := Event{AccountWide: true, OccurredAt: time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.FixedZone("", -(23*3600+59*60)))}
		e.Signer = &SignerRef{}
		e.Documents = make([]EventDocument, 3)
		fill(reflect.ValueOf(&e).Elem(), strings.Repeat(worst, 2000))
		raw, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		if bound := e.encodedSizeBound(); bound < len(raw) {
			t.Fatalf("with %q: bound %d below the encoding's %d bytes", worst, bound, len(raw))
		}
	}
}

// fill sets every string reachable from v (fields, pointers, slices) to s.
func fill(v reflect.Value, s string) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Pointer:
		if !v.IsNil() {
			fill(v.Elem(), s)
		}
	case reflect.Slice:
		for i := range v.Len() {
			fill(v.Index(i), s)
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			return
		}
		for i := range v.NumField() {
			fill(v.Field(i), s)
		}
	}
}

// BenchmarkEventValidate is one webhook event's check, made twice per
// webhook (bridge and deliverer).
func BenchmarkEventValidate(b *testing.B) {
	e := Event{Key: "autosign:clsowqwm90001gzu3qpjfpmeh", Provider: "autosign", ProviderRef: "clsowfhnx000c3ol9gtwp3wcl",
		ProcessID: "01a22da0-0000-7000-8000-000000000001", Type: EventSignerSigned, OccurredAt: time.Now(),
		Signer: &SignerRef{Name: "Ana Pereira", Email: "ana@example.com"}}
	b.ReportAllocs()
	for b.Loop() {
		if err := e.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}
