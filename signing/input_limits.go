package signing

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// Limits of what a start may ask for, beyond the shape and the bounds of
// durations and counts (Validate). Each keeps a process from failing after
// it was accepted: names and e-mails come back in provider events, whose
// fields are bounded (event_limits.go); a completion event carries every
// signed document and the provider's records, at most MaxEventDocuments.
// The HTTP API and starter/processes check them before starting; the
// workflow checks them on runs started since they exist.
const (
	MaxSigners       = 50
	MaxDocuments     = 25
	MaxTemplates     = 25
	MaxMessageBytes  = 4 << 10
	MaxPhoneBytes    = 64
	MaxTemplateBytes = 200
	MaxOptions       = 32 // entries of one options map
	MaxOptionBytes   = 1 << 10
	MaxCallbackBytes = 2 << 10
)

// processIDPattern is the documented alphabet of process ids: what is safe
// in a workflow id, a URL path segment and a document-store key alike.
var processIDPattern = regexp.MustCompile(fmt.Sprintf(`^[A-Za-z0-9_-][A-Za-z0-9._-]{0,%d}$`, MaxProcessIDBytes-1))

// ValidProcessID checks a process id: 1 to 128 characters of A-Z a-z 0-9
// . _ -, not starting with a dot and without "..". Ids outside it could
// start a process that the HTTP API cannot address (a/x) or that Temporal
// refuses to read (NUL, unicode, 1,100 characters).
func ValidProcessID(id string) error {
	if !processIDPattern.MatchString(id) || strings.Contains(id, "..") {
		return fmt.Errorf("process_id must be 1 to %d characters of A-Z a-z 0-9 . _ -, not starting with a dot and without \"..\"", MaxProcessIDBytes)
	}
	return nil
}

// ValidateLimits reports every limit the input is over (see the constants
// above), and a process id outside the documented alphabet.
func (in Input) ValidateLimits() error {
	var errs []error
	over := func(name string, n, limit int, unit string) {
		if n > limit {
			errs = append(errs, fmt.Errorf("%s: %d %s, at most %d", name, n, unit, limit))
		}
	}
	if in.ProcessID != "" {
		if err := ValidProcessID(in.ProcessID); err != nil {
			errs = append(errs, err)
		}
	}
	over("message", len(in.Message), MaxMessageBytes, "bytes")
	over("callback_url", len(in.CallbackURL), MaxCallbackBytes, "bytes")
	over("signers", len(in.Signers), MaxSigners, "signers")
	over("documents", len(in.Documents), MaxDocuments, "documents")
	over("templates", len(in.Templates), MaxTemplates, "templates")
	errs = append(errs, optionErrors("options", in.Options)...)
	for i, s := range in.Signers {
		field := fmt.Sprintf("signers[%d]", i)
		over(field+".name", len(s.Name), MaxSignerNameBytes, "bytes")
		over(field+".email", len(s.Email), MaxSignerEmailBytes, "bytes")
		over(field+".phone", len(s.Phone), MaxPhoneBytes, "bytes")
		if s.Order > MaxSigners {
			errs = append(errs, fmt.Errorf("%s.order must be at most %d", field, MaxSigners))
		}
		errs = append(errs, optionErrors(field+".options", s.Options)...)
	}
	for i, d := range in.Documents {
		field := fmt.Sprintf("documents[%d]", i)
		over(field+".name", len(d.Name), MaxDocumentNameBytes, "bytes")
		over(field+".key", len(d.Key), MaxDocumentKeyBytes, "bytes")
		over(field+".content_type", len(d.ContentType), MaxContentTypeBytes, "bytes")
	}
	for i, t := range in.Templates {
		over(fmt.Sprintf("templates[%d]", i), len(t), MaxTemplateBytes, "bytes")
	}
	return errors.Join(errs...)
}

// optionErrors checks an options map, in key order so that the message is
// the same in every run (the workflow reports it too).
func optionErrors(field string, opts map[string]string) []error {
	var errs []error
	if len(opts) > MaxOptions {
		errs = append(errs, fmt.Errorf("%s: %d entries, at most %d", field, len(opts), MaxOptions))
	}
	for _, k := range slices.Sorted(maps.Keys(opts)) {
		if v := opts[k]; len(k)+len(v) > MaxOptionBytes {
			errs = append(errs, fmt.Errorf("%s[%q]: %d bytes, at most %d", field, k, len(k)+len(v), MaxOptionBytes))
		}
	}
	return errs
}
