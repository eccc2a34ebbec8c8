package providers

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"time"
)

// maxErrorBody bounds how much of an error response is kept as the message.
const maxErrorBody = 4 << 10

// Call performs req and turns transport failures and non-2xx answers into
// *APIError. On success the caller owns the response body.
func Call(client *http.Client, provider, op string, req *http.Request) (*http.Response, error) {
	began := time.Now()
	resp, err := client.Do(req)
	recordCall(req.Context(), provider, time.Since(began), resp, err)
	if err != nil {
		// The error goes into history and logs: not the URL's secrets.
		return nil, &APIError{Provider: provider, Op: op, Err: RedactErrorURLs(err)}
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp, nil
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	return nil, &APIError{
		Provider:   provider,
		Op:         op,
		StatusCode: resp.StatusCode,
		Message:    strings.TrimSpace(string(body)),
		RetryAfter: ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
	}
}

// WriteBase64 streams a document's bytes into w as standard Base64, so a
// provider whose API takes files inside JSON never holds a file whole.
func WriteBase64(ctx context.Context, w io.Writer, d Document) error {
	r, err := d.Open(ctx)
	if err != nil {
		return err
	}
	defer r.Close()
	enc := base64.NewEncoder(base64.StdEncoding, w)
	if _, err := io.Copy(enc, r); err != nil {
		return err
	}
	return enc.Close()
}
