package contractualis

import (
	"context"
	"strings"
	"time"

	"github.com/firmaflow/firmaflow/signing"
)

// CreationDateLayout is get-documents' creationdate ("2025-05-27 09:17:33").
const CreationDateLayout = "2006-01-02 15:04:05"

// lookupSkew widens the search window for clock differences: the listing's
// creationdate carries no zone and is read as UTC.
const lookupSkew = 5 * time.Minute

// DocumentsResponse: get-documents.
type DocumentsResponse struct {
	Envelope
	Records []struct {
		ID           string `json:"id"`
		DocumentName string `json:"documentname"`
		Status       string `json:"status"`
		CreationDate string `json:"creationdate"`
	} `json:"records"`
}

// findSent looks for the document an earlier attempt of this send opened
// when its answer was lost: Contractualis takes no idempotency key and no
// reference of ours, so it is the newest live document with the process's
// title created since that attempt began. It returns "" when there is none
// (the attempt never reached Contractualis), and the caller sends.
func (c *Client) findSent(ctx context.Context, in signing.Input, since time.Time) (string, error) {
	var out DocumentsResponse
	if err := c.call(ctx, "find sent document", pathDocuments, jsonBody(AccountRequest{Email: c.opts.Email}), &out); err != nil {
		return "", err
	}
	var best string
	var bestAt time.Time
	for _, r := range out.Records {
		if r.DocumentName != in.Title || strings.EqualFold(r.Status, StatusDeleted) {
			continue
		}
		at, err := time.ParseInLocation(CreationDateLayout, r.CreationDate, time.UTC)
		if err != nil || at.Before(since.Add(-lookupSkew)) {
			continue
		}
		if best == "" || at.After(bestAt) {
			best, bestAt = r.ID, at
		}
	}
	return best, nil
}
