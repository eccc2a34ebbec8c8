package providers

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
)

// ReadBody reads a whole (already size-capped) webhook body. A body over
// the bridge's cap stays an *http.MaxBytesError (413); other read failures
// are invalid payloads.
func ReadBody(provider string, body io.Reader) ([]byte, error) {
	raw, err := io.ReadAll(body)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, err
	}
	if err != nil {
		return nil, Invalid(provider, "unreadable body: %v", err)
	}
	return raw, nil
}

// AcknowledgeJSON answers a provider that only asks for an HTTP 200: okBody
// on success, {"status":"error","message":…} otherwise. The bridge sets the
// status code itself.
func AcknowledgeJSON(w http.ResponseWriter, err error, okBody string) {
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		json.NewEncoder(w).Encode(map[string]string{"status": "error", "message": err.Error()})
		return
	}
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, okBody+"\n")
}
