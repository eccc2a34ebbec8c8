package webhookbridge

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
)

// The workflow's own fields are no input: a caller could forge a process
// that is already completed, or one that owns another process's provider
// reference. They, and any other unknown field, are refused.
func TestAPIRefusesTheWorkflowsOwnFields(t *testing.T) {
	for field, value := range map[string]string{
		"continued":    `{"state":{"process_id":"p1","provider":"arqsign","status":"completed"},"seen_keys":[],"runs":1}`,
		"archive_only": `true`,
		"provider_ref": `"SOMEONE-ELSES-REF"`,
		"titel":        `"a typo"`,
	} {
		f := newAPIFixture(t)
		rec := f.start(validInput(field + ":" + value))
		require.Equal(t, http.StatusBadRequest, rec.Code, "%s: %s", field, rec.Body)
		require.Contains(t, rec.Body.String(), `unknown field \"`+field+`\"`)
		require.Empty(t, f.started, "nothing started")
	}
}

// A provider this deployment does not serve is refused up front, not
// accepted with 202 and failed by the worker.
func TestAPIRefusesProvidersNotEnabled(t *testing.T) {
	for _, provider := range []string{"docusign", "autosign", ""} {
		f := newAPIFixture(t)
		rec := f.start(validInput(`provider:"` + provider + `"`))
		require.Equal(t, http.StatusBadRequest, rec.Code, "%q: %s", provider, rec.Body)
		require.Contains(t, rec.Body.String(), "provider")
		require.Empty(t, f.started)
	}
	rec := newAPIFixture(t).start(validInput(`provider:"docusign"`))
	require.Contains(t, rec.Body.String(), "arqsign, cellosign", "the answer lists the enabled providers")
}

// Documents must be the caller's own uploads for this process
// (inbox/<process_id>/<name>) and must exist: never another process's
// upload or result, never a path that climbs out.
func TestAPIRefusesDocumentsOutsideTheCallersUploads(t *testing.T) {
	for key, want := range map[string]string{
		"inbox/p1/missing.pdf":         "no document",
		"inbox/p1/../p2/a.pdf":         "inbox/p1/",
		"inbox/p2/a.pdf":               "inbox/p1/",
		"processes/p0/signed/00-a.pdf": "inbox/p1/",
		"/etc/passwd":                  "inbox/p1/",
		"inbox/p1/sub/a.pdf":           "inbox/p1/",
	} {
		f := newAPIFixture(t)
		rec := f.start(validInput(`documents:[{"name":"a.pdf","key":"` + key + `"}]`))
		require.Equal(t, http.StatusBadRequest, rec.Code, "%s: %s", key, rec.Body)
		require.Contains(t, rec.Body.String(), want, key)
		require.Empty(t, f.started, key)
	}
	f := newAPIFixture(t)
	rec := f.start(validInput(`process_id:`))
	require.Equal(t, http.StatusBadRequest, rec.Code, "documents need the process id they were uploaded under: %s", rec.Body)
	require.Contains(t, rec.Body.String(), "process_id is required")

	rec = f.start(validInput())
	require.Equal(t, http.StatusAccepted, rec.Code, rec.Body.String())
	require.Len(t, f.started, 1)
}

// Process ids follow the documented alphabet on every route: an id that
// could start but never be read (a/x), or that Temporal refuses to read
// (unicode, NUL, 1,100 characters), is a 400, never a 202 or a 503.
func TestAPIProcessIDsFollowTheDocumentedAlphabet(t *testing.T) {
	for _, id := range []string{"a/x", "ü", "a\x00b", strings.Repeat("p", 1100), "..", "a b"} {
		f := newAPIFixture(t)
		raw, _ := json.Marshal(id)
		rec := f.start(validInput("process_id:"+string(raw), `documents:`, `templates:["t1"]`))
		require.Equal(t, http.StatusBadRequest, rec.Code, "%q: %s", id, rec.Body)
		require.Contains(t, rec.Body.String(), "process_id must be")
		require.Empty(t, f.started)
	}
	for _, escaped := range []string{"%C3%BC", "a%00b", strings.Repeat("p", 1100), "a%2Fx", "a%20b"} {
		f := newAPIFixture(t)
		f.client.On("QueryWorkflow", mock.Anything, mock.Anything, mock.Anything, mock.Anything).
			Return(nil, serviceerror.NewInvalidArgument("workflow id is not valid UTF-8 or too long")).Maybe()
		f.client.On("UpdateWorkflow", mock.Anything, mock.Anything).
			Return(nil, serviceerror.NewInvalidArgument("workflow id is not valid UTF-8 or too long")).Maybe()
		rec := f.do(http.MethodGet, "/api/v1/processes/"+escaped, "", nil)
		require.Equal(t, http.StatusBadRequest, rec.Code, "GET %s: %s", escaped, rec.Body)
		rec = f.do(http.MethodPost, "/api/v1/processes/"+escaped+"/cancel", "application/json", strings.NewReader(`{"reason":"x"}`))
		require.Equal(t, http.StatusBadRequest, rec.Code, "cancel %s: %s", escaped, rec.Body)
	}
}

// A 4 MB input (40,000 signers) is refused with 413 before it is decoded
// whole, with or without a Content-Length; 20 signers fit easily.
func TestAPIRefusesAnOversizedInput(t *testing.T) {
	signers := func(n int) string {
		var b strings.Builder
		b.WriteString("[")
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `{"name":"Signer %d","email":"signer%d@example.com","phone":"+55 11 90000-%04d"}`, i, i, i)
		}
		return b.String() + "]"
	}
	huge := validInput("signers:" + signers(40000))
	require.Greater(t, len(huge), 3<<20)
	f := newAPIFixture(t)
	rec := f.start(huge)
	require.Equal(t, http.StatusRequestEntityTooLarge, rec.Code, rec.Body.String()[:min(rec.Body.Len(), 200)])
	// Without a Content-Length the body is cut off while it is read.
	rec = f.do(http.MethodPost, "/api/v1/processes", "application/json", io.MultiReader(strings.NewReader(huge)))
	require.Equal(t, http.StatusRequestEntityTooLarge, rec.Code)
	require.Empty(t, f.started)

	rec = f.start(validInput("signers:" + signers(20)))
	require.Equal(t, http.StatusAccepted, rec.Code, rec.Body.String())
}

// Content-Type: absent is read as JSON (curl --data-binary, simple
// clients); anything but JSON is a 415 that says what to send.
func TestAPIContentType(t *testing.T) {
	f := newAPIFixture(t)
	rec := f.do(http.MethodPost, "/api/v1/processes", "", strings.NewReader(validInput()))
	require.Equal(t, http.StatusAccepted, rec.Code, "no Content-Type is read as JSON: %s", rec.Body)
	rec = f.do(http.MethodPost, "/api/v1/processes", "application/json; charset=utf-8", strings.NewReader(validInput()))
	require.Equal(t, http.StatusAccepted, rec.Code, rec.Body.String())
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "application/xml", "multipart/form-data; boundary=x"} {
		rec := f.do(http.MethodPost, "/api/v1/processes", ct, strings.NewReader(validInput()))
		require.Equal(t, http.StatusUnsupportedMediaType, rec.Code, "%s: %s", ct, rec.Body)
		require.Contains(t, rec.Body.String(), "application/json", ct)
	}
}

// A body that is not JSON, or JSON of the wrong shape, gets a message
// about the input, not the HTTP framework's internals.
func TestAPIExplainsMalformedInput(t *testing.T) {
	f := newAPIFixture(t)
	for body, want := range map[string]string{
		validInput(`expires_in_days:"soon"`):    "expires_in_days",
		validInput(`signers:{"name":"A"}`):      "signers",
		`{"process_id":`:                        "JSON",
		`{"process_id":"p1"} {"again":true}`:    "one JSON object",
		``:                                      "empty",
		validInput(`reconcile_every:"a while"`): `duration \"a while\"`,
	} {
		rec := f.start(body)
		require.Equal(t, http.StatusBadRequest, rec.Code, "%s: %s", body, rec.Body)
		require.Contains(t, rec.Body.String(), want, body)
		for _, internal := range []string{"code=", "internal=", "offset=", "Go value", "signing."} {
			require.NotContains(t, rec.Body.String(), internal, body)
		}
	}
	require.Empty(t, f.started)
}
