package signing

import (
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
	c := a
	c.Continued = &Continuation{}
	if a.SHA256() != c.SHA256() {
		t.Fatal("the workflow's continuation state changed the digest")
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
