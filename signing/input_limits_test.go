package signing

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestValidProcessID(t *testing.T) {
	for _, id := range []string{"p", "lease-2026-0042", "019a1b2c-3d4e-7f00-8a9b-0c1d2e3f4a5b", "demo-arqsign-x_1.v2", strings.Repeat("p", 128)} {
		require.NoError(t, ValidProcessID(id), id)
	}
	for _, id := range []string{"", "a/x", "ü", "a\x00b", "a b", strings.Repeat("p", 129), strings.Repeat("p", 1100), ".hidden", "a..b", "x?y", "x%2Fy"} {
		require.Error(t, ValidProcessID(id), "%q", id)
	}
}

func TestValidateLimitsNamesEachFieldOver(t *testing.T) {
	base := Input{ProcessID: "p1", Provider: "arqsign", Title: "T",
		Documents: []DocumentRef{{Name: "a.pdf", Key: "inbox/p1/a.pdf"}}, Signers: []Signer{{Name: "Ana", Email: "ana@example.com"}}}
	for i := range 20 {
		base.Signers = append(base.Signers, Signer{Name: fmt.Sprint("S", i), Email: fmt.Sprintf("s%d@example.com", i), Order: i + 1})
	}
	require.NoError(t, base.ValidateLimits(), "21 signers fit")
	long := func(n int) string { return strings.Repeat("x", n) }
	for field, mut := range map[string]func(*Input){
		"process_id":                   func(in *Input) { in.ProcessID = "a/x" },
		"message":                      func(in *Input) { in.Message = long(MaxMessageBytes + 1) },
		"callback_url":                 func(in *Input) { in.CallbackURL = "https://h/" + long(MaxCallbackBytes) },
		"signers:":                     func(in *Input) { in.Signers = make([]Signer, MaxSigners+1) },
		"documents:":                   func(in *Input) { in.Documents = make([]DocumentRef, MaxDocuments+1) },
		"templates:":                   func(in *Input) { in.Templates = make([]string, MaxTemplates+1) },
		"signers[0].name":              func(in *Input) { in.Signers[0].Name = long(MaxSignerNameBytes + 1) },
		"signers[0].email":             func(in *Input) { in.Signers[0].Email = long(MaxSignerEmailBytes) + "@x" },
		"signers[0].phone":             func(in *Input) { in.Signers[0].Phone = long(MaxPhoneBytes + 1) },
		"signers[0].order":             func(in *Input) { in.Signers[0].Order = 1 << 40 },
		"signers[0].options":           func(in *Input) { in.Signers[0].Options = map[string]string{"k": long(MaxOptionBytes)} },
		"documents[0].name":            func(in *Input) { in.Documents[0].Name = long(MaxDocumentNameBytes + 1) },
		"documents[0].key":             func(in *Input) { in.Documents[0].Key = long(MaxDocumentKeyBytes + 1) },
		"documents[0].content_type":    func(in *Input) { in.Documents[0].ContentType = long(MaxContentTypeBytes + 1) },
		"templates[0]":                 func(in *Input) { in.Templates = []string{long(MaxTemplateBytes + 1)} },
		"options: 33 entries":          func(in *Input) { in.Options = manyOptions(MaxOptions + 1) },
		`options["subaccount"]: 1035`:  func(in *Input) { in.Options = map[string]string{"subaccount": long(MaxOptionBytes + 1)} },
		"signers[1].options: 33 entri": func(in *Input) { in.Signers[1].Options = manyOptions(MaxOptions + 1) },
	} {
		in := base
		in.Signers = append([]Signer(nil), base.Signers...)
		in.Documents = append([]DocumentRef(nil), base.Documents...)
		mut(&in)
		require.ErrorContains(t, in.ValidateLimits(), field)
	}
}

func manyOptions(n int) map[string]string {
	m := map[string]string{}
	for i := range n {
		m[fmt.Sprint("k", i)] = "v"
	}
	return m
}
