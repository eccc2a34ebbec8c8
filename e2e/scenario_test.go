package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/firmaflow/firmaflow/providers/arqsign"
	"github.com/firmaflow/firmaflow/providers/autosign"
	"github.com/firmaflow/firmaflow/providers/cellosign"
	"github.com/firmaflow/firmaflow/providers/contractualis"
	"github.com/firmaflow/firmaflow/signing"
	"github.com/firmaflow/firmaflow/starter/processes"
)

// TestUnknownScenarioIsRefused: a typo in "[sim:NAME]" used to play the
// default silently (or nothing at all); every simulator now refuses the
// send with 400 naming the scenarios it knows, and the process fails
// saying so.
func TestUnknownScenarioIsRefused(t *testing.T) {
	ctx := context.Background()
	for _, provider := range []string{arqsign.Name, contractualis.Name, autosign.Name, cellosign.Name} {
		t.Run(provider, func(t *testing.T) {
			id := processes.NewProcessID()
			doc, err := stack.Store.Put(ctx, "inbox/"+id+"/contract.pdf", strings.NewReader("%PDF-1.4\ntypo\n%%EOF\n"), "application/pdf")
			require.NoError(t, err)
			in := signing.Input{ProcessID: id, Provider: provider, Title: "Typo [sim:sgin]",
				Documents: []signing.DocumentRef{{Name: "contract.pdf", Key: doc.Key}},
				Signers:   []signing.Signer{{Name: "Ana Souza", Email: "ana@example.com", Order: 1}}, ExpiresInDays: 10}
			run, err := processes.Start(ctx, stack.Client, stack.Config.Temporal.TaskQueue, in)
			require.NoError(t, err)
			wctx, cancel := context.WithTimeout(ctx, time.Minute)
			defer cancel()
			res, err := processes.Result(wctx, run)
			require.NotEqual(t, signing.StatusCompleted, res.Status, "a typo must not play the default")
			require.Error(t, err)
			require.Contains(t, err.Error(), "HTTP 400")
			require.Contains(t, err.Error(), "unknown simulator scenario")
			require.Contains(t, err.Error(), "sgin")
			require.Contains(t, err.Error(), "known: sign")
		})
	}
}
