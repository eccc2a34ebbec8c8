package signing

import (
	"encoding/json"
	"testing"
	"time"
)

func TestInputSHA256IsCanonical(t *testing.T) {
	a := Input{ProcessID: "p", Provider: "arqsign", Title: "T", Options: map[string]string{"a": "1", "b": "2", "c": "3"},
		Signers: []Signer{{Name: "Ana", Email: "ana@example.com"}}}
	b := a
	b.Options = map[string]string{"c": "3", "b": "2", "a": "1"}
	if a.SHA256() != b.SHA256() {
		t.Fatal("map order changed the digest")
	}
	if a.SHA256() != a.WithDefaults().SHA256() {
		t.Fatal("defaults spelled out changed the digest")
	}
	d := a
	d.Signers = []Signer{{Name: "Ana", Email: "ana@example.org"}}
	e := a
	e.ReconcileEvery = Duration(2 * time.Hour)
	for _, other := range []Input{d, e} {
		if a.SHA256() == other.SHA256() {
			t.Fatal("a different input has the same digest")
		}
	}
}

// Digests recorded in the memos and send markers of existing processes
// must keep matching: these were computed by the code of the day the
// workflow's own fields (continued, archive_only, provider_ref) were still
// part of Input.
func TestInputSHA256IsStable(t *testing.T) {
	for want, raw := range map[string]string{
		"3e3f20856878850cfc511ffbb516248a5d5172641e84eeba6ffff7783514446b": `{"process_id":"p1","provider":"arqsign","title":"Lease","documents":[{"name":"a.pdf","key":"inbox/p1/a.pdf"}],"signers":[{"name":"Ana","email":"ana@example.com"}]}`,
		"5c59ae266eaa73a31fd59be743e0d310a19af08a1aca170ba20e47c1d7e8d4fd": `{"process_id":"lease-2026-0042","provider":"arqsign","title":"Lease agreement","message":"Please sign",` +
			`"documents":[{"name":"lease.pdf","key":"inbox/lease-2026-0042/lease.pdf","content_type":"application/pdf"}],` +
			`"signers":[{"name":"Ana Souza","email":"ana@example.com","order":1,"options":{"b":"2","a":"1"}},{"name":"Bruno Lima","email":"bruno@example.com","phone":"+5511","order":2}],` +
			`"templates":["t1"],"expires_in_days":15,"resend_policy":{"max_resends":2,"max_renewals":1,"backoff":"10m"},` +
			`"callback_url":"https://caller.example.com/done","reconcile_every":"2h","options":{"subaccount":"x"}}`,
	} {
		var in Input
		if err := json.Unmarshal([]byte(raw), &in); err != nil {
			t.Fatal(err)
		}
		if got := in.SHA256(); got != want {
			t.Fatalf("digest of %s changed: %s, recorded %s", raw, got, want)
		}
	}
}
