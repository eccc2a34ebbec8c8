package webhookbridge

import (
	"errors"
	"net/http"

	"go.temporal.io/api/serviceerror"

	"github.com/firmaflow/firmaflow/signing"
)

// finalStatus maps an error that no redelivery can fix to the 4xx the
// provider should see: a 5xx would make the provider post the same
// notification again and again for nothing. It reports false for errors
// that may pass on a later attempt.
func finalStatus(err error) (int, bool) {
	var tooLarge *signing.EventTooLargeError
	var invalidArg *serviceerror.InvalidArgument
	switch {
	case errors.As(err, &tooLarge):
		return http.StatusRequestEntityTooLarge, true
	case errors.As(err, &invalidArg):
		// Temporal refused the signal itself (payload over its blob limit,
		// malformed id): the same event is refused the same way next time.
		return http.StatusBadRequest, true
	}
	return 0, false
}

// validateEvents checks every parsed event against signing's bounds before
// any of them is signalled, so a request is either delivered whole or
// refused whole.
func validateEvents(events []signing.Event) error {
	for _, ev := range events {
		if err := ev.Validate(); err != nil {
			return err
		}
	}
	return nil
}
