package activities

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/firmaflow/firmaflow/signing"
)

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestProcessIdsThatOnceSharedAFolderKeepTheirOwnDocuments: "t/1" and
// "t_1" were both stored under processes/t_1/, so the second process found
// the first's signed document at "its" key, took it as a retry's own, and
// never downloaded its own.
func TestProcessIdsThatOnceSharedAFolderKeepTheirOwnDocuments(t *testing.T) {
	a, p, env := newActivities(t)
	results := map[string]signing.StoredDocument{}
	for _, c := range []struct{ id, url string }{{"t/1", "https://x/first"}, {"t_1", "https://x/second"}} {
		id, url := c.id, c.url
		v, err := env.ExecuteActivity(a.FetchDocuments, FetchInput{ProcessID: id, Provider: "fake", ProviderRef: "R-" + id,
			Documents: []signing.EventDocument{{Kind: signing.KindSigned, Name: "a.pdf", URL: url}}})
		require.NoError(t, err)
		var docs []signing.StoredDocument
		require.NoError(t, v.Get(&docs))
		require.Equal(t, sha("signed:"+url), docs[0].SHA256, "process %s has its own document", id)
		stored, err := a.Store.Describe(context.Background(), docs[0].Key)
		require.NoError(t, err)
		require.Equal(t, docs[0].SHA256, stored.SHA256, "the store holds what process %s recorded", id)
		results[id] = docs[0]
	}
	require.Equal(t, 2, p.downloads)
	require.NotEqual(t, results["t/1"].Key, results["t_1"].Key)
}

// TestProcessIdsThatOnceSharedAFolderAreEachSent: the send marker of "t/1"
// was the marker of "t_1" too, so "t_1" failed as sent before with another
// input.
func TestProcessIdsThatOnceSharedAFolderAreEachSent(t *testing.T) {
	a, p, env := newActivities(t)
	for _, id := range []string{"t/1", "t_1"} {
		in := markerInput(t, a)
		in.ProcessID = id
		_, err := env.ExecuteActivity(a.Send, in)
		require.NoError(t, err, id)
	}
	require.Len(t, p.sent, 2)
}

// A stored key the bridge did not file (outside webhooks/), or a
// content-addressed object whose bytes are not the ones its key names, is
// never taken into a result.
func TestFetchRefusesStoredKeysItCannotTrust(t *testing.T) {
	a, _, env := newActivities(t)
	ctx := context.Background()
	_, err := a.Store.Put(ctx, "credentials/autosign", strings.NewReader("secret"), "")
	require.NoError(t, err)
	forged := "webhooks/sha256/" + sha("what the event was about")
	_, err = a.Store.Put(ctx, forged, strings.NewReader("other bytes"), "application/pdf")
	require.NoError(t, err)
	for _, key := range []string{"credentials/autosign", forged} {
		_, err := env.ExecuteActivity(a.FetchDocuments, FetchInput{ProcessID: "p", Provider: "fake", ProviderRef: "R",
			Documents: []signing.EventDocument{{Kind: signing.KindSigned, Name: "a.pdf", StoredKey: key}}})
		var appErr *temporal.ApplicationError
		require.True(t, errors.As(err, &appErr), "%s: %v", key, err)
		require.True(t, appErr.NonRetryable(), key)
		require.Equal(t, ErrTypeDocument, appErr.Type(), key)
	}
}

// A send begun before keys were injective left its marker at the legacy
// key: the same process still finds it, the process that shared the
// folder does not take it.
func TestLegacySendMarkerIsFoundByItsOwnProcessOnly(t *testing.T) {
	a, p, env := newActivities(t)
	in := markerInput(t, a)
	in.ProcessID = "t/1"
	legacy := sendMarker{ProcessID: "t/1", Provider: "fake", InputSHA256: in.SHA256(), Attempts: 1, ProviderRef: "LEGACY-REF"}
	raw, err := json.Marshal(legacy)
	require.NoError(t, err)
	_, err = a.Store.Put(context.Background(), "processes/t_1/send-marker.json", bytes.NewReader(raw), "application/json")
	require.NoError(t, err)

	v, err := env.ExecuteActivity(a.Send, in)
	require.NoError(t, err)
	var out SendOutput
	require.NoError(t, v.Get(&out))
	require.Equal(t, "LEGACY-REF", out.ProviderRef)
	require.Empty(t, p.sent, "the legacy marker stood for the send")

	in.ProcessID = "t_1"
	v, err = env.ExecuteActivity(a.Send, in)
	require.NoError(t, err)
	require.NoError(t, v.Get(&out))
	require.Equal(t, "REF", out.ProviderRef, "t_1 is sent itself")
	require.Len(t, p.sent, 1)
}
