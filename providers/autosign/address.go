package autosign

import (
	"net/url"
	"strings"
)

// processPathPrefix starts the subpath of a per-process notification
// endpoint: /webhooks/autosign/process/<process id>.
const processPathPrefix = "process/"

// notificationEndpoint is the transaction's notification_endpoint: the
// bridge's Autosign route with the process id in its path, so that every
// event of the transaction is addressed to the process directly (no route,
// no lookup). The token stays in the query, as Autosign sends it.
func notificationEndpoint(base, processID string) string {
	if base == "" || processID == "" {
		return base
	}
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/" + processPathPrefix + url.PathEscape(processID)
	u.RawPath = ""
	return u.String()
}

// processIDFromSubpath reads the process id a per-process endpoint
// carries ("" for the account-wide endpoint).
func processIDFromSubpath(subpath string) string {
	id, ok := strings.CutPrefix(subpath, processPathPrefix)
	if !ok || id == "" || strings.Contains(id, "/") {
		return ""
	}
	if unescaped, err := url.PathUnescape(id); err == nil {
		return unescaped
	}
	return ""
}
