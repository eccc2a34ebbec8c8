package webhookbridge

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/firmaflow/firmaflow/providers"
)

// Durations and counts out of bounds are refused up front with a 400 that
// names the field; nothing reaches Temporal (the API has no client here).
func TestAPIRefusesOutOfBoundsInput(t *testing.T) {
	b := New(Options{Providers: providers.NewRegistry(), API: &API{Token: "tok", TaskQueue: "firmaflow"}})
	base := `"process_id":"p1","provider":"arqsign","title":"T","documents":[{"name":"a.pdf","key":"inbox/p1/a.pdf"}],"signers":[{"name":"Ana","email":"ana@example.com"}]`
	for field, extra := range map[string]string{
		"reconcile_every":            `"reconcile_every":"1ns"`,
		"resend_policy.backoff":      `"resend_policy":{"max_resends":1,"backoff":"1ns"}`,
		"resend_policy.max_resends":  `"resend_policy":{"max_resends":100000}`,
		"resend_policy.max_renewals": `"resend_policy":{"max_renewals":-1}`,
		"expires_in_days":            `"expires_in_days":99999`,
	} {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/processes", strings.NewReader("{"+base+","+extra+"}"))
		req.Header.Set("Authorization", "Bearer tok")
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		b.Handler().ServeHTTP(rec, req)
		require.Equal(t, http.StatusBadRequest, rec.Code, field)
		require.Contains(t, rec.Body.String(), field, "the answer names the field")
	}
}

// Counts and lengths that the process could not carry through its
// provider's events are refused up front, naming the field.
func TestAPIRefusesCountsOverTheirLimits(t *testing.T) {
	long := strings.Repeat("x", 300)
	manyDocs := "[" + strings.TrimSuffix(strings.Repeat(`{"name":"a.pdf","key":"inbox/p1/a.pdf"},`, 26), ",") + "]"
	manySigners := "[" + strings.TrimSuffix(strings.Repeat(`{"name":"A","email":"a@example.com"},`, 51), ",") + "]"
	for field, extra := range map[string]string{
		"documents:":       "documents:" + manyDocs,
		"signers:":         "signers:" + manySigners,
		"signers[0].name":  `signers:[{"name":"` + long + `","email":"a@example.com"}]`,
		"signers[0].order": `signers:[{"name":"A","email":"a@example.com","order":1099511627776}]`,
		"message":          `message:"` + strings.Repeat("m", 5000) + `"`,
	} {
		f := newAPIFixture(t)
		rec := f.start(validInput(extra))
		require.Equal(t, http.StatusBadRequest, rec.Code, "%s: %s", field, rec.Body)
		require.Contains(t, rec.Body.String(), field)
		require.Empty(t, f.started)
	}
}
