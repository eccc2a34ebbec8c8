package webhookbridge

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/firmaflow/firmaflow/signing"
)

// DefaultMaxUploadBytes caps an uploaded document unless the API says
// otherwise (FIRMAFLOW_API_MAX_UPLOAD_BYTES): 64 MiB.
const DefaultMaxUploadBytes = 64 << 20

// upload streams a document into the store: PUT /documents/{process}/{name}.
// A body over the cap is a 413, whether its Content-Length says so or it
// is found while streaming; the store discards a write cut short, so
// nothing of it stays.
func (a *API) upload(c echo.Context) error {
	proc, name := c.Param("process"), c.Param("name")
	if err := signing.ValidProcessID(proc); err != nil {
		return a.fail(c, invalid(err.Error()))
	}
	if err := validUploadName(name); err != nil {
		return a.fail(c, invalid(err.Error()))
	}
	limit := a.MaxUploadBytes
	if limit <= 0 {
		limit = DefaultMaxUploadBytes
	}
	r := c.Request()
	tooBig := &apiProblem{status: http.StatusRequestEntityTooLarge, msg: fmt.Sprintf("the document is larger than %d bytes", limit)}
	if r.ContentLength > limit {
		return a.fail(c, tooBig)
	}
	ct := r.Header.Get("Content-Type")
	if len(ct) > signing.MaxContentTypeBytes {
		return a.fail(c, invalid(fmt.Sprintf("Content-Type is %d bytes, at most %d", len(ct), signing.MaxContentTypeBytes)))
	}
	key := UploadKey(proc, name)
	doc, err := a.Store.Put(r.Context(), key, http.MaxBytesReader(c.Response(), r.Body, limit), ct)
	switch {
	case tooLarge(err):
		return a.fail(c, tooBig)
	case err != nil:
		a.log.Error("upload not stored", "key", key, "error", err)
		return a.fail(c, &apiProblem{status: http.StatusServiceUnavailable, msg: "could not store the document; try again"})
	}
	return c.JSON(http.StatusCreated, signing.DocumentRef{Name: name, Key: doc.Key, ContentType: ct})
}
