package webhookbridge

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
)

// FuzzAPIStart feeds arbitrary bodies to POST /api/v1/processes. Whatever
// the body: no panic, no 5xx (the store and Temporal are healthy here), a
// JSON answer in the API's own words, and a 202 only for an input that
// holds every rule: valid, within its limits, on an enabled provider, with
// documents the caller uploaded for this process id, and without the
// workflow's own fields (the started input is a signing.Input, which has
// none; its JSON is checked too).
func FuzzAPIStart(f *testing.F) {
	for _, seed := range []string{
		validInput(),
		validInput(`process_id:`, `documents:`, `templates:["t1"]`),
		validInput(`continued:{"state":{"status":"completed"}}`),
		validInput(`archive_only:true`, `provider_ref:"X"`),
		validInput(`provider:"docusign"`),
		validInput(`process_id:"a/x"`),
		validInput(`documents:[{"name":"a.pdf","key":"inbox/p1/../p2/a.pdf"}]`),
		validInput(`documents:[{"name":"a.pdf","key":"processes/p0/signed/00-a.pdf"}]`),
		validInput(`resend_policy:{"max_resends":2,"max_renewals":1,"backoff":"10m"}`, `reconcile_every:"1ns"`),
		validInput(`signers:[{"name":"A","email":"a@example.com","order":1099511627776}]`),
		validInput(`expires_in_days:"soon"`),
		`{"process_id":"p1"} {}`,
		`[]`, `null`, `""`, ``, `{`,
	} {
		f.Add(seed)
	}
	fx := newAPIFixture(f)
	f.Fuzz(func(t *testing.T, body string) {
		fx.started = nil
		rec := fx.start(body)
		var answer map[string]string
		if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil {
			t.Fatalf("%d answer is not a JSON object of strings: %q", rec.Code, rec.Body)
		}
		if rec.Code != http.StatusAccepted {
			switch rec.Code {
			case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType:
			default:
				t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body)
			}
			if answer["error"] == "" || strings.Contains(answer["error"], "code=") || strings.Contains(answer["error"], "internal=") {
				t.Fatalf("error answer without a message of its own: %s", rec.Body)
			}
			if len(fx.started) != 0 {
				t.Fatalf("%d, yet a process was started", rec.Code)
			}
			return
		}
		if len(fx.started) != 1 {
			t.Fatalf("202 with %d starts", len(fx.started))
		}
		in := fx.started[0]
		if err := errors.Join(in.Validate(), in.ValidateLimits()); err != nil {
			t.Fatalf("started an invalid input: %v", err)
		}
		if in.Provider != "arqsign" && in.Provider != "cellosign" {
			t.Fatalf("started on provider %q, which is not enabled", in.Provider)
		}
		for _, d := range in.Documents {
			if !strings.HasPrefix(d.Key, "inbox/"+in.ProcessID+"/") {
				t.Fatalf("started with document %q outside inbox/%s/", d.Key, in.ProcessID)
			}
			if _, err := fx.store.Size(t.Context(), d.Key); err != nil {
				t.Fatalf("started with a missing document %q", d.Key)
			}
		}
		raw, _ := json.Marshal(in)
		for _, internal := range []string{`"continued"`, `"archive_only"`, `"provider_ref"`} {
			if strings.Contains(string(raw), internal) {
				t.Fatalf("started input carries %s", internal)
			}
		}
		if answer["process_id"] != in.ProcessID {
			t.Fatalf("answered process %q, started %q", answer["process_id"], in.ProcessID)
		}
	})
}
