package webhookbridge

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/firmaflow/firmaflow/starter/processes"
)

// apiProblem is an answer other than success: the status, and a message in
// the API's own words for the caller.
type apiProblem struct {
	status int
	msg    string
}

func (p *apiProblem) Error() string { return p.msg }

func invalid(msg string) *apiProblem { return &apiProblem{status: http.StatusBadRequest, msg: msg} }

// fail answers err: an *apiProblem as it says, anything else as a 503 whose
// detail stays in the log.
func (a *API) fail(c echo.Context, err error) error {
	var p *apiProblem
	if !errors.As(err, &p) {
		a.log.Error("unexpected error", "path", c.Path(), "error", err)
		p = &apiProblem{status: http.StatusServiceUnavailable, msg: "temporarily unable to serve the request; try again"}
	}
	if p.status == http.StatusServiceUnavailable {
		c.Response().Header().Set("Retry-After", "5")
	}
	return c.JSON(p.status, apiError(p.msg))
}

// temporalFailure maps what starting, reading or cancelling a process
// (op) returned to the answer the caller gets. Temporal's own text can name
// addresses, internal ids and limits; it goes to the log, and the caller
// gets what it can act on: 400 for what no retry changes, 404 and 409 for
// the process's state, 503 (try again) for the rest.
func (a *API) temporalFailure(op, processID string, err error) *apiProblem {
	var (
		conflict    *processes.ConflictError
		invalidIn   *processes.InvalidInputError
		ended       *processes.EndedError
		notFound    *serviceerror.NotFound
		invalidArg  *serviceerror.InvalidArgument
		appErr      *temporal.ApplicationError
		unavailable = &apiProblem{status: http.StatusServiceUnavailable, msg: "could not " + op + " the process now; try again"}
	)
	switch {
	case errors.As(err, &conflict):
		return &apiProblem{status: http.StatusConflict, msg: conflict.Error()}
	case errors.As(err, &invalidIn):
		return invalid(invalidIn.Error())
	case errors.As(err, &ended):
		return &apiProblem{status: http.StatusConflict, msg: "process " + processID + " has already ended; there is nothing to cancel"}
	case errors.As(err, &notFound):
		return &apiProblem{status: http.StatusNotFound, msg: "no such process"}
	case errors.As(err, &invalidArg):
		a.log.Warn("Temporal refused the request as invalid", "op", op, "process_id", processID, "error", err)
		return invalid("Temporal refused to " + op + " the process: the request is over one of its limits or malformed")
	case op == "cancel" && errors.As(err, &appErr):
		// The process refused or failed the cancel (already ended, another
		// cancel running, the provider said no): its words, not Temporal's.
		return &apiProblem{status: http.StatusConflict, msg: appErr.Message()}
	}
	a.log.Warn("Temporal call failed", "op", op, "process_id", processID, "error", err)
	return unavailable
}
