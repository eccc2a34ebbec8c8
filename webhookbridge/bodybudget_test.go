package webhookbridge

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"
)

// TestBodyBudgetRefusesWhatDoesNotFitAndGetsItBack: a body takes budget as
// it is read, one that does not fit is refused (its partial budget given
// back), and releasing a body returns all of it.
func TestBodyBudgetRefusesWhatDoesNotFitAndGetsItBack(t *testing.T) {
	bb := newBodyBudget(3 * bufferChunk)
	small := strings.Repeat("a", bufferChunk+10) // two chunks
	first, err := bb.read(strings.NewReader(small), -1, 1<<20)
	require.NoError(t, err)
	got, _ := io.ReadAll(first.Reader())
	require.Equal(t, small, string(got), "the body reads back whole")

	_, err = bb.read(strings.NewReader(small), int64(len(small)), 1<<20)
	require.ErrorIs(t, err, errOverBudget, "one chunk left, two needed")

	first.Release()
	second, err := bb.read(strings.NewReader(small), int64(len(small)), 1<<20)
	require.NoError(t, err, "the first body's budget and the refused one's partial take came back")
	second.Release()
	require.True(t, bb.sem.TryAcquire(3*bufferChunk), "everything returned")
}

func TestBodyBudgetCapsAndErrors(t *testing.T) {
	bb := newBodyBudget(64 * bufferChunk)
	_, err := bb.read(strings.NewReader("x"), 11, 10)
	require.ErrorIs(t, err, errBodyTooLarge, "a declared length over the cap is refused")
	_, err = bb.read(strings.NewReader(strings.Repeat("x", 11)), -1, 10)
	require.ErrorIs(t, err, errBodyTooLarge, "an undeclared one is cut at the cap")
	exact, err := bb.read(strings.NewReader(strings.Repeat("x", 10)), -1, 10)
	require.NoError(t, err, "a body of exactly the cap passes")
	exact.Release()
	_, err = bb.read(io.MultiReader(bytes.NewReader([]byte("partial")), iotest.ErrReader(io.ErrUnexpectedEOF)), 100, 1000)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF, "a body cut short is an error, not an end")
	require.True(t, bb.sem.TryAcquire(64*bufferChunk), "failed reads give their budget back")
}
