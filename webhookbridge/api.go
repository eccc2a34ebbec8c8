package webhookbridge

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"go.temporal.io/sdk/client"

	"github.com/firmaflow/firmaflow/docstore"
	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/signing"
	"github.com/firmaflow/firmaflow/starter/processes"
)

// API is the authenticated HTTP API for systems that would rather not speak
// Temporal: upload documents, start a process, read its state, cancel it.
//
// It checks everything it can before it answers 202, so a process it
// accepts does not fail for its input: the input's shape, bounds and limits,
// a provider this deployment serves (the bridge's Options.Providers, built
// from the enabled providers), documents the caller uploaded for the
// process. Its errors are its own words; Temporal's stay in the log.
type API struct {
	Client    client.Client
	Store     *docstore.Store
	TaskQueue string
	Namespace string
	UIURL     string
	// Token is the bearer token every API call must present.
	Token string
	// MaxUploadBytes caps one uploaded document (413 beyond); 0 means
	// DefaultMaxUploadBytes.
	MaxUploadBytes int64

	providers *providers.Registry
	log       *slog.Logger
}

func (a *API) mount(g *echo.Group, reg *providers.Registry, log *slog.Logger) {
	if reg == nil {
		reg = providers.NewRegistry()
	}
	a.providers, a.log = reg, log.With("component", "api")
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

func (a *API) start(c echo.Context) error {
	var in signing.Input
	if err := decodeJSON(c, MaxInputBytes, &in); err != nil {
		return a.fail(c, err)
	}
	// A process without documents may leave its id to us; documents are
	// uploaded under the id, so with them it must be given.
	if in.ProcessID == "" && len(in.Documents) == 0 {
		in.ProcessID = processes.NewProcessID()
	}
	if err := a.checkStart(c.Request().Context(), in); err != nil {
		return a.fail(c, err)
	}
	// Start is idempotent: the same input under an existing id returns that
	// process (running or ended) with 202 as the first answer did, so a
	// client may retry after a lost answer; another input is a 409.
	run, err := processes.Start(c.Request().Context(), a.Client, a.TaskQueue, in)
	if err != nil {
		return a.fail(c, a.temporalFailure("start", in.ProcessID, err))
	}
	return c.JSON(http.StatusAccepted, map[string]string{
		"process_id":  in.ProcessID,
		"workflow_id": run.GetID(),
		"run_id":      run.GetRunID(),
		"ui_url":      processes.RunURL(a.UIURL, a.Namespace, run.GetID(), run.GetRunID()),
	})
}

func (a *API) state(c echo.Context) error {
	id := c.Param("id")
	if err := signing.ValidProcessID(id); err != nil {
		return a.fail(c, invalid(err.Error()))
	}
	st, err := processes.State(c.Request().Context(), a.Client, id)
	if err != nil {
		return a.fail(c, a.temporalFailure("read", id, err))
	}
	return c.JSON(http.StatusOK, st)
}

func (a *API) cancel(c echo.Context) error {
	id := c.Param("id")
	if err := signing.ValidProcessID(id); err != nil {
		return a.fail(c, invalid(err.Error()))
	}
	var req signing.CancelRequest
	if err := decodeJSON(c, maxCancelBytes, &req); err != nil {
		return a.fail(c, err)
	}
	if err := checkCancel(req); err != nil {
		return a.fail(c, err)
	}
	st, err := processes.Cancel(c.Request().Context(), a.Client, id, req.Reason)
	if err != nil {
		return a.fail(c, a.temporalFailure("cancel", id, err))
	}
	return c.JSON(http.StatusOK, st)
}
