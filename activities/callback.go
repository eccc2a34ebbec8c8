package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
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
	Secret       callbacks.Secret
	Hosts        []string
	AllowPrivate bool
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
	if err != nil || !slices.ContainsFunc(a.Callbacks.Hosts, func(h string) bool {
		return strings.EqualFold(h, u.Host) || strings.EqualFold(h, u.Hostname())
	}) {
		return final(fmt.Sprintf("callback: host of %q is not in FIRMAFLOW_CALLBACK_HOSTS", providers.RedactURL(in.URL)))
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
	if err != nil {
		return classify(err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	return resp.Body.Close()
}
