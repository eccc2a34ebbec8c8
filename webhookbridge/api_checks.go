package webhookbridge

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/firmaflow/firmaflow/docstore"
	"github.com/firmaflow/firmaflow/signing"
)

// uploadNamePattern is what a document name in an upload's path may be: a
// plain file name, so the key it lands under is inbox/<process id>/<name>
// and nothing else.
var uploadNamePattern = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$`)

func validUploadName(name string) error {
	if !uploadNamePattern.MatchString(name) || strings.Contains(name, "..") {
		return errors.New("document name must be 1 to 128 characters of A-Z a-z 0-9 . _ -, not starting with a dot and without \"..\"")
	}
	return nil
}

// UploadKey is the store key of a document the caller uploads for a
// process. A start accepts only documents under its own process id's
// upload area: never another process's upload or result.
func UploadKey(processID, name string) string { return "inbox/" + processID + "/" + name }

// checkStart reports every problem a start has before it is sent to
// Temporal: the input's shape, bounds and limits, the provider, and where
// its documents are. Documents are looked up in the store last, once the
// rest is right.
func (a *API) checkStart(ctx context.Context, in signing.Input) error {
	var errs []error
	if in.ProcessID == "" {
		// Validate says it is required; say why, since it may be left out
		// of a start without documents.
		errs = append(errs, errors.New("documents are uploaded under the process id (PUT /api/v1/documents/{process_id}/{name}): "+
			"start with the same process_id"))
	}
	if in.Provider != "" {
		if _, err := a.providers.Provider(in.Provider); err != nil {
			errs = append(errs, fmt.Errorf("provider %q is not enabled here; enabled: %s", in.Provider, strings.Join(a.providers.Names(), ", ")))
		}
	}
	in = in.WithDefaults()
	errs = append(errs, in.Validate(), in.ValidateLimits())
	if in.ProcessID != "" && signing.ValidProcessID(in.ProcessID) == nil {
		for i, d := range in.Documents {
			if name, ok := strings.CutPrefix(d.Key, UploadKey(in.ProcessID, "")); !ok || validUploadName(name) != nil {
				errs = append(errs, fmt.Errorf("documents[%d]: key %q is not an upload of this process: it must be %s<name>, as PUT /api/v1/documents/%s/{name} answers",
					i, d.Key, UploadKey(in.ProcessID, ""), in.ProcessID))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return invalid(err.Error())
	}
	return a.checkDocumentsExist(ctx, in.Documents)
}

// checkDocumentsExist: a document that is not in the store would fail the
// Send activity after the caller had its 202.
func (a *API) checkDocumentsExist(ctx context.Context, docs []signing.DocumentRef) error {
	if a.Store == nil {
		return nil // no store to check against (tests of the input alone)
	}
	var missing []error
	for i, d := range docs {
		_, err := a.Store.Size(ctx, d.Key)
		switch {
		case errors.Is(err, docstore.ErrNotFound):
			missing = append(missing, fmt.Errorf("documents[%d]: no document at %q: upload it first", i, d.Key))
		case err != nil:
			a.log.Warn("could not check a document in the store", "key", d.Key, "error", err)
			return &apiProblem{status: http.StatusServiceUnavailable, msg: "could not check the documents in the store; try again"}
		}
	}
	if len(missing) > 0 {
		return invalid(errors.Join(missing...).Error())
	}
	return nil
}

// checkCancel: a cancel needs a reason, short enough to travel in the
// process's state and events.
func checkCancel(req signing.CancelRequest) error {
	switch {
	case strings.TrimSpace(req.Reason) == "":
		return invalid(`reason is required: {"reason": "..."}`)
	case len(req.Reason) > signing.MaxEventReasonBytes:
		return invalid(fmt.Sprintf("reason is %d bytes, at most %d", len(req.Reason), signing.MaxEventReasonBytes))
	}
	return nil
}
