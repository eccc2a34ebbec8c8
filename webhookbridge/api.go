package webhookbridge

import (
	"errors"
	"io"
	"net/http"
	"path"
	"strings"

	"github.com/labstack/echo/v4"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/firmaflow/firmaflow/docstore"
	"github.com/firmaflow/firmaflow/signing"
	"github.com/firmaflow/firmaflow/starter/processes"
)

// API is the authenticated HTTP API for systems that would rather not speak
// Temporal: upload documents, start a process, read its state, cancel it.
type API struct {
	Client    client.Client
	Store     *docstore.Store
	TaskQueue string
	Namespace string
	UIURL     string
	// Token is the bearer token every API call must present.
	Token string
}

func (a *API) mount(g *echo.Group) {
	g.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if !secretMatches(a.Token, bearer(c.Request())) {
				return c.JSON(http.StatusUnauthorized, apiError("missing or wrong bearer token"))
			}
			return next(c)
		}
	})
	g.PUT("/documents/:process/:name", a.upload)
	g.POST("/processes", a.start)
	g.GET("/processes/:id", a.state)
	g.POST("/processes/:id/cancel", a.cancel)
}

func bearer(r *http.Request) string {
	if a := r.Header.Get("Authorization"); len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
		return a[7:]
	}
	return ""
}

func apiError(msg string) map[string]string { return map[string]string{"error": msg} }

// upload streams a document into the store: PUT /documents/{process}/{name}.
func (a *API) upload(c echo.Context) error {
	proc, name := c.Param("process"), path.Base(c.Param("name"))
	if !ValidRef(proc) || !ValidRef(name) {
		return c.JSON(http.StatusBadRequest, apiError("process and name must be simple identifiers"))
	}
	ct := c.Request().Header.Get("Content-Type")
	doc, err := a.Store.Put(c.Request().Context(), "inbox/"+proc+"/"+name, io.Reader(c.Request().Body), ct)
	if err != nil {
		return c.JSON(http.StatusInternalServerError, apiError("store failed"))
	}
	return c.JSON(http.StatusCreated, signing.DocumentRef{Name: name, Key: doc.Key, ContentType: ct})
}

func (a *API) start(c echo.Context) error {
	var in signing.Input
	if err := c.Bind(&in); err != nil {
		return c.JSON(http.StatusBadRequest, apiError("body is not a process input: "+err.Error()))
	}
	if in.ProcessID == "" {
		in.ProcessID = processes.NewProcessID()
	}
	if err := in.WithDefaults().Validate(); err != nil {
		return c.JSON(http.StatusBadRequest, apiError(err.Error()))
	}
	// Start is idempotent: the same input under an existing id returns that
	// process (running or ended) with 202 as the first answer did, so a
	// client may retry after a lost answer; another input is a 409.
	run, err := processes.Start(c.Request().Context(), a.Client, a.TaskQueue, in)
	var conflict *processes.ConflictError
	switch {
	case errors.As(err, &conflict):
		return c.JSON(http.StatusConflict, apiError(conflict.Error()))
	case err != nil:
		return c.JSON(http.StatusServiceUnavailable, apiError("could not start the process; try again"))
	}
	return c.JSON(http.StatusAccepted, map[string]string{
		"process_id":  in.ProcessID,
		"workflow_id": run.GetID(),
		"run_id":      run.GetRunID(),
		"ui_url":      processes.RunURL(a.UIURL, a.Namespace, run.GetID(), run.GetRunID()),
	})
}

func (a *API) state(c echo.Context) error {
	st, err := processes.State(c.Request().Context(), a.Client, c.Param("id"))
	var notFound *serviceerror.NotFound
	switch {
	case errors.As(err, &notFound):
		return c.JSON(http.StatusNotFound, apiError("no such process"))
	case err != nil:
		return c.JSON(http.StatusServiceUnavailable, apiError("could not read the process; try again"))
	}
	return c.JSON(http.StatusOK, st)
}

func (a *API) cancel(c echo.Context) error {
	var req signing.CancelRequest
	if err := c.Bind(&req); err != nil {
		return c.JSON(http.StatusBadRequest, apiError("body must be {\"reason\": ...}"))
	}
	st, err := processes.Cancel(c.Request().Context(), a.Client, c.Param("id"), req.Reason)
	var notFound *serviceerror.NotFound
	switch {
	case errors.As(err, &notFound):
		return c.JSON(http.StatusNotFound, apiError("no such process"))
	case err != nil:
		return c.JSON(http.StatusConflict, apiError(err.Error()))
	}
	return c.JSON(http.StatusOK, st)
}
