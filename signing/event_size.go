package signing

// encodedSizeBound is at least the length of e's JSON encoding, found
// without encoding it: the bridge and the deliverer each check every event,
// and encoding it twice more per webhook cost more than the rest of the
// checks together. A string byte encodes to at most 6 bytes (\u00XX, and
// \ufffd for a byte of invalid UTF-8); each field adds its name, quotes,
// colon and comma, well under fieldOverhead. TestEncodedSizeBoundCoversEveryField
// fails when a field is added to the event without being counted here.
func (e Event) encodedSizeBound() int {
	n := 2 + // {}
		jsonStringBound(e.Key) + jsonStringBound(e.Provider) + jsonStringBound(e.ProviderRef) +
		jsonStringBound(e.ProcessID) + jsonStringBound(string(e.Type)) +
		fieldOverhead + encodedTimeBound + // occurred_at
		jsonStringBound(e.Reason) +
		fieldOverhead + len("false") + // account_wide
		fieldOverhead + len("null") // signer
	if e.Signer != nil {
		n += 2 + jsonStringBound(e.Signer.Name) + jsonStringBound(e.Signer.Email)
	}
	n += fieldOverhead + 2 // documents: [ ]
	for _, d := range e.Documents {
		n += 3 + // {}, and the comma between documents
			jsonStringBound(string(d.Kind)) + jsonStringBound(d.Name) + jsonStringBound(d.URL) +
			jsonStringBound(d.StoredKey) + jsonStringBound(d.ContentType) + jsonStringBound(d.SHA256)
	}
	return n
}

const (
	// fieldOverhead covers a field's quoted name, colon and comma: the
	// longest name, "content_type", needs 16 bytes.
	fieldOverhead = 24
	// encodedTimeBound covers a quoted RFC 3339 time with nanoseconds and
	// a zone offset (37 bytes).
	encodedTimeBound = 40
)

// jsonStringBound bounds a string field's encoding: the field's overhead,
// two quotes, and at most 6 bytes per byte of s.
func jsonStringBound(s string) int { return fieldOverhead + 2 + 6*len(s) }
