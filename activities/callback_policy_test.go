package activities

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/firmaflow/firmaflow/callbacks"
)

func requireFinalCallbackError(t *testing.T, err error, contains string) {
	t.Helper()
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "%v", err)
	require.True(t, appErr.NonRetryable(), "%v", err)
	require.ErrorContains(t, err, contains)
}

// TestCallbackPolicy: the allowlist matches host and port (an entry without
// a port allows the scheme's default port only), https is required unless
// the dev switch allows http, and an allowed name pointing inward is a final
// refusal, not a retried one.
func TestCallbackPolicy(t *testing.T) {
	secret, err := callbacks.ParseSecret("whsec_" + base64.StdEncoding.EncodeToString([]byte("callback-secret-0123456789")))
	require.NoError(t, err)
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	hostPort := strings.TrimPrefix(srv.URL, "http://")
	a, _, env := newActivities(t)
	notify := func(cfg Callbacks) error {
		a.Callbacks = cfg
		_, err := env.ExecuteActivity(a.NotifyCallback, CallbackInput{URL: srv.URL + "/hook", WorkflowID: "w"})
		return err
	}

	err = notify(Callbacks{Secret: secret, Hosts: []string{"127.0.0.1"}, AllowPrivate: true, AllowHTTP: true})
	requireFinalCallbackError(t, err, "FIRMAFLOW_CALLBACK_HOSTS")
	require.Zero(t, hits.Load(), "an entry without a port does not open other ports")

	err = notify(Callbacks{Secret: secret, Hosts: []string{hostPort}, AllowPrivate: true})
	requireFinalCallbackError(t, err, "https")
	require.Zero(t, hits.Load(), "plain http is refused outside the dev stack")

	require.NoError(t, notify(Callbacks{Secret: secret, Hosts: []string{hostPort}, AllowPrivate: true, AllowHTTP: true}))
	require.EqualValues(t, 1, hits.Load(), "the dev switch allows http to a listed host:port")

	err = notify(Callbacks{Secret: secret, Hosts: []string{hostPort}, AllowHTTP: true})
	requireFinalCallbackError(t, err, "internal")
	require.EqualValues(t, 1, hits.Load())
}
