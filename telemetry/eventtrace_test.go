package telemetry

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/interceptor"
)

type fakeSpan struct{ n int }

func (fakeSpan) Finish(*interceptor.TracerFinishSpanOptions) {}

// A run remembers the spans of its latest events only, and a redelivered
// event's key takes its latest signal's span without growing the memory.
func TestEventSpansKeepTheLatest(t *testing.T) {
	s := &eventSpans{byKey: map[string]interceptor.TracerSpan{}}
	for i := range keptEventSpans + 10 {
		s.put(fmt.Sprint("k", i), fakeSpan{i})
	}
	s.put("k20", fakeSpan{-1})
	require.Len(t, s.byKey, keptEventSpans)
	require.Len(t, s.order, keptEventSpans)
	require.NotContains(t, s.byKey, "k9", "the oldest are forgotten")
	require.Equal(t, fakeSpan{keptEventSpans + 9}, s.byKey[fmt.Sprint("k", keptEventSpans+9)])
	require.Equal(t, fakeSpan{-1}, s.byKey["k20"])
}
