package providers

import "net/url"

// unparseableURL stands for a URL that cannot be parsed, so cannot be
// shown without its secrets.
const unparseableURL = "[unparseable URL]"

// RedactURL returns raw without its userinfo, query string and fragment:
// document links are often capability URLs (a presigned X-Amz-Signature, a
// token) and callback URLs may carry credentials. What remains still says
// which host and path failed.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return unparseableURL
	}
	u.User = nil
	u.Fragment, u.RawFragment = "", ""
	if u.RawQuery != "" || u.ForceQuery {
		u.RawQuery, u.ForceQuery = "", false
		return u.String() + "?[redacted]"
	}
	return u.String()
}

// RedactErrorURLs redacts, in place, the URL of every *url.Error in err's
// chain (net/http reports failed requests with one), so that the error can
// go into history, logs, state, results and callbacks. It returns err.
// Call it where the error is made: a message fmt.Errorf already formatted
// keeps the URL.
func RedactErrorURLs(err error) error {
	redactTree(err, 0)
	return err
}

func redactTree(err error, depth int) {
	if err == nil || depth > 32 {
		return
	}
	if ue, ok := err.(*url.Error); ok && ue.URL != unparseableURL {
		ue.URL = RedactURL(ue.URL)
	}
	switch e := err.(type) {
	case interface{ Unwrap() error }:
		redactTree(e.Unwrap(), depth+1)
	case interface{ Unwrap() []error }:
		for _, inner := range e.Unwrap() {
			redactTree(inner, depth+1)
		}
	}
}
