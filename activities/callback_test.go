package activities

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/firmaflow/firmaflow/callbacks"
	"github.com/firmaflow/firmaflow/signing"
)

func TestNotifyCallbackIsSignedAndVerifiable(t *testing.T) {
	secret, err := callbacks.ParseSecret("whsec_" + base64.StdEncoding.EncodeToString([]byte("callback-secret-0123456789")))
	require.NoError(t, err)
	var got CallbackBody
	var verr error
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		verr = secret.Verify(r.Header, body, time.Now(), callbacks.DefaultTolerance)
		json.Unmarshal(body, &got)
	}))
	defer srv.Close()
	a, _, env := newActivities(t)
	a.Callbacks = Callbacks{Secret: secret, Hosts: []string{strings.TrimPrefix(srv.URL, "http://")}, AllowPrivate: true, AllowHTTP: true}
	_, err = env.ExecuteActivity(a.NotifyCallback, CallbackInput{URL: srv.URL + "/hook", WorkflowID: "signing-p",
		Result: signing.Result{ProcessID: "p", Status: signing.StatusCompleted}})
	require.NoError(t, err)
	require.NoError(t, verr, "the receiver can verify the signature")
	require.Equal(t, "process.ended", got.Type)
	require.Equal(t, signing.StatusCompleted, got.Result.Status)
}

func TestNotifyCallbackRefusals(t *testing.T) {
	secret, _ := callbacks.ParseSecret("whsec_" + base64.StdEncoding.EncodeToString([]byte("callback-secret-0123456789")))
	a, _, env := newActivities(t)
	for name, cfg := range map[string]Callbacks{
		"no secret":       {Hosts: []string{"example.com"}},
		"host not listed": {Secret: secret, Hosts: []string{"other.example"}},
	} {
		a.Callbacks = cfg
		_, err := env.ExecuteActivity(a.NotifyCallback, CallbackInput{URL: "https://example.com/hook", WorkflowID: "w"})
		var appErr *temporal.ApplicationError
		require.True(t, errors.As(err, &appErr), name)
		require.True(t, appErr.NonRetryable(), name)
	}
	// An allowed name that points inward is refused at dial time.
	a.Callbacks = Callbacks{Secret: secret, Hosts: []string{"localhost:9"}, AllowHTTP: true}
	_, err := env.ExecuteActivity(a.NotifyCallback, CallbackInput{URL: "http://localhost:9/hook", WorkflowID: "w"})
	require.ErrorContains(t, err, "loopback")
}
