package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/firmaflow/firmaflow/callbacks"
	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/signing"
)

// ErrTypeCallback marks a callback that cannot be sent as configured.
const ErrTypeCallback = "CallbackError"

// Callbacks configures NotifyCallback.
type Callbacks struct {
	Secret callbacks.Secret
	// Hosts may receive callbacks (see providers.HostAllowed: an entry
	// without a port allows the scheme's default port only).
	Hosts []string
	// AllowPrivate permits internal addresses and AllowHTTP plain http:
	// dev-stack switches, since a callback carries the process's result.
	AllowPrivate bool
	AllowHTTP    bool
}

// CallbackInput is one notification to the process's caller.
type CallbackInput struct {
	URL        string         `json:"url"`
	WorkflowID string         `json:"workflow_id"`
	Result     signing.Result `json:"result"`
}

// CallbackBody is what the caller receives.
type CallbackBody struct {
	Type       string         `json:"type"`
	WorkflowID string         `json:"workflow_id"`
	Result     signing.Result `json:"result"`
}

// NotifyCallback posts the process's end to its caller, signed. The
// webhook-id is stable for the process, so a receiver drops retries.
func (a *Activities) NotifyCallback(ctx context.Context, in CallbackInput) error {
	defer keepAlive(ctx)()
	final := func(msg string) error { return temporal.NewNonRetryableApplicationError(msg, ErrTypeCallback, nil) }
	if len(a.Callbacks.Secret) == 0 {
		return final("callback: FIRMAFLOW_CALLBACK_SECRET is not set")
	}
	u, err := url.Parse(in.URL)
	switch {
	case err != nil || (u.Scheme != "https" && u.Scheme != "http"):
		return final(fmt.Sprintf("callback: %q is not an http(s) URL", providers.RedactURL(in.URL)))
	case u.Scheme != "https" && !a.Callbacks.AllowHTTP:
		return final(fmt.Sprintf("callback: %q is not https (plain http only with FIRMAFLOW_ALLOW_HTTP_CALLBACKS)", providers.RedactURL(in.URL)))
	case !providers.HostAllowed(u, a.Callbacks.Hosts):
		return final(fmt.Sprintf("callback: host and port of %q are not in FIRMAFLOW_CALLBACK_HOSTS", providers.RedactURL(in.URL)))
	}
	body, err := json.Marshal(CallbackBody{Type: "process.ended", WorkflowID: in.WorkflowID, Result: in.Result})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	a.Callbacks.Secret.Headers(req.Header, "ff_"+in.WorkflowID+"_ended", time.Now(), body)
	resp, err := providers.Call(providers.OutboundClient(a.Callbacks.AllowPrivate), "callback", "notify", req)
	if errors.Is(err, providers.ErrPrivateAddress) {
		// The allowed name points inward: a retry would only dial it again.
		return temporal.NewNonRetryableApplicationError("callback: host resolves to an internal address", ErrTypeCallback, err)
	}
	if err != nil {
		return classify(err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	return resp.Body.Close()
}
