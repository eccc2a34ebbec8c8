package arqsign

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/firmaflow/firmaflow/providers"
)

// Describe reads a process's name, signers and whether it is live, so that
// a retried send can recognise the process an attempt whose answer was lost
// opened (providers.Describer).
func (c *Client) Describe(ctx context.Context, ref string) (providers.Description, error) {
	req, err := c.newRequest(ctx, http.MethodGet, fmt.Sprintf(pathDetails, url.PathEscape(ref)), nil)
	if err != nil {
		return providers.Description{}, err
	}
	resp, err := providers.Call(c.http, Name, "describe", req)
	if err != nil {
		return providers.Description{}, err
	}
	defer resp.Body.Close()
	var d ProcessDetails
	if err := json.NewDecoder(io.LimitReader(resp.Body, 4<<20)).Decode(&d); err != nil {
		return providers.Description{}, &providers.APIError{Provider: Name, Op: "describe", StatusCode: resp.StatusCode, Message: "unreadable answer", Err: err}
	}
	out := providers.Description{Name: d.NomeProcesso, Live: d.IDStatus != StatusCancelled && d.IDStatus != StatusCompleted}
	for _, s := range d.Signatarios {
		if s.AssinaturaRecusada {
			out.Live = false
		}
		out.SignerEmails = append(out.SignerEmails, strings.ToLower(s.Email))
	}
	return out, nil
}
