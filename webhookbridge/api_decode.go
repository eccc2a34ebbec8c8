package webhookbridge

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"

	"github.com/labstack/echo/v4"
)

// MaxInputBytes caps the body of a start. An input with 20 signers and a
// handful of documents is a few KiB, and the largest input the limits allow
// (signing.ValidateLimits) fits; a 4 MB body is refused with 413 before it
// is decoded whole.
const MaxInputBytes = 256 << 10

// maxCancelBytes caps a cancel's body: {"reason": ...}.
const maxCancelBytes = 16 << 10

// decodeJSON reads exactly one JSON object from the request body into v.
// The body is JSON whether or not the request says so: a missing
// Content-Type is read as JSON, any other type than application/json is a
// 415. Unknown fields are refused, never dropped: a typo would change the
// process silently, and fields the workflow keeps for itself (continued,
// archive_only, provider_ref) are no input.
func decodeJSON(c echo.Context, limit int64, v any) error {
	r := c.Request()
	if ct := r.Header.Get(echo.HeaderContentType); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != echo.MIMEApplicationJSON {
			return &apiProblem{status: http.StatusUnsupportedMediaType,
				msg: fmt.Sprintf("Content-Type %q is not accepted: send the body as JSON with Content-Type application/json (or none)", ct)}
		}
	}
	if r.ContentLength > limit {
		return tooLargeInput(limit)
	}
	dec := json.NewDecoder(http.MaxBytesReader(c.Response(), r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeProblem(err, limit)
	}
	if err := dec.Decode(&json.RawMessage{}); err != io.EOF {
		if tooLarge(err) {
			return tooLargeInput(limit)
		}
		return invalid("the body must hold one JSON object and nothing after it")
	}
	return nil
}

func tooLargeInput(limit int64) *apiProblem {
	return &apiProblem{status: http.StatusRequestEntityTooLarge, msg: fmt.Sprintf("the body is larger than %d KiB", limit>>10)}
}

// decodeProblem says what is wrong with the body in terms of the input,
// not of the decoder (no Go types, offsets or framework codes).
func decodeProblem(err error, limit int64) *apiProblem {
	var syntax *json.SyntaxError
	var wrongType *json.UnmarshalTypeError
	switch {
	case tooLarge(err):
		return tooLargeInput(limit)
	case errors.Is(err, io.EOF):
		return invalid("the body is empty: send the input as a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return invalid("the body ends in the middle of its JSON")
	case errors.As(err, &syntax):
		return invalid(fmt.Sprintf("the body is not valid JSON: %s", syntax.Error()))
	case errors.As(err, &wrongType):
		if wrongType.Field == "" {
			return invalid(fmt.Sprintf("the body must be a JSON object, not %s", wrongType.Value))
		}
		return invalid(fmt.Sprintf("field %s must be %s, not %s", wrongType.Field, jsonKind(wrongType.Type), wrongType.Value))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return invalid(strings.TrimPrefix(err.Error(), "json: ") + " (the input's fields are listed in the README)")
	}
	// A field's own decoder refused its value (a duration such as "90s").
	return invalid("the body is not a valid input: " + strings.TrimPrefix(err.Error(), "json: "))
}

// jsonKind names the JSON a Go type is read from.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "an object"
}
