package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/firmaflow/firmaflow/docstore"
	"github.com/firmaflow/firmaflow/providers"
	"github.com/firmaflow/firmaflow/signing"
)

// ErrTypeAlreadySent: the process id was sent to the provider before with a
// different input; sending again would open a second provider process.
const ErrTypeAlreadySent = "AlreadySent"

// sendMarker is the durable record of one process's send, kept in the
// document store under the process id rather than in workflow history, so
// that every run under the workflow id sees it: a second run started anyway
// (an id reuse policy of ALLOW_DUPLICATE after the first ended) or a retry
// after a worker crash finds the earlier send instead of calling the
// provider again.
type sendMarker struct {
	ProcessID   string `json:"process_id"`
	Provider    string `json:"provider"`
	InputSHA256 string `json:"input_sha256"`
	// RunID is the run that began the send, for operators.
	RunID string `json:"run_id,omitempty"`
	// StartedAt is when the first attempt began: where a provider's listing
	// is searched for a process that attempt may have opened.
	StartedAt time.Time `json:"started_at"`
	// Attempts counts attempts that began calling the provider.
	Attempts int `json:"attempts"`
	// Progress is the provider's checkpoint of a multi-step send.
	Progress json.RawMessage `json:"progress,omitempty"`
	// ProviderRef is set once the provider accepted the send.
	ProviderRef string    `json:"provider_ref,omitempty"`
	SentAt      time.Time `json:"sent_at,omitzero"`
}

// SendMarkerKey is where a process's send marker lives: markers/<process
// id>/send.json, the id escaped by docstore.Segment, so no two processes
// share a marker.
func SendMarkerKey(processID string) string {
	return fmt.Sprintf("markers/%s/send.json", docstore.Segment(processID))
}

// legacySendMarkerKey is where markers were written before keys were
// injective: '/', '\\' and ".." became '_', so "t/1" and "t_1" shared it.
// It is read, never written, and only a marker naming the process counts.
func legacySendMarkerKey(processID string) string {
	return fmt.Sprintf("processes/%s/send-marker.json", strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == 0 {
			return '_'
		}
		return r
	}, strings.ReplaceAll(processID, "..", "_")))
}

func (a *Activities) loadSendMarker(ctx context.Context, processID string) (sendMarker, bool, error) {
	m, found, err := a.readSendMarker(ctx, SendMarkerKey(processID))
	if found || err != nil {
		return m, found, err
	}
	// A send begun before the keys changed left its marker at the legacy
	// key; it counts only if it names this very process.
	m, found, err = a.readSendMarker(ctx, legacySendMarkerKey(processID))
	if err != nil {
		// The store just answered for the current key; a legacy key it
		// cannot read (a name no store takes) holds no marker.
		a.logger(ctx).Warn("legacy send marker unreadable", "error", err)
		return sendMarker{}, false, nil
	}
	if found && m.ProcessID == processID {
		return m, true, nil
	}
	return sendMarker{}, false, nil
}

func (a *Activities) readSendMarker(ctx context.Context, key string) (sendMarker, bool, error) {
	r, err := a.Store.Open(ctx, key)
	if errors.Is(err, docstore.ErrNotFound) {
		return sendMarker{}, false, nil
	}
	if err != nil {
		return sendMarker{}, false, fmt.Errorf("send marker: %w", err)
	}
	defer r.Close()
	var m sendMarker
	if err := json.NewDecoder(io.LimitReader(r, 1<<20)).Decode(&m); err != nil {
		return sendMarker{}, false, fmt.Errorf("send marker %s: %w", key, err)
	}
	return m, true, nil
}

func (a *Activities) saveSendMarker(ctx context.Context, m sendMarker) error {
	raw, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("send marker: %w", err)
	}
	// Writes commit whole (docstore), so a crash leaves the previous marker.
	if _, err := a.Store.Put(ctx, SendMarkerKey(m.ProcessID), bytes.NewReader(raw), "application/json"); err != nil {
		return fmt.Errorf("send marker: %w", err)
	}
	return nil
}

// beginSend returns the marker of this send: done (with the provider's
// reference) when an earlier attempt or run already sent it, else recorded
// as an attempt in flight before the provider is called.
func (a *Activities) beginSend(ctx context.Context, in signing.Input) (m sendMarker, done bool, err error) {
	sum := in.SHA256()
	m, found, err := a.loadSendMarker(ctx, in.ProcessID)
	if err != nil {
		return m, false, err
	}
	if found && m.InputSHA256 != sum {
		return m, false, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("send: process %s was sent before with a different input; not sending again", in.ProcessID),
			ErrTypeAlreadySent, nil)
	}
	if found && m.ProviderRef != "" {
		return m, true, nil
	}
	if !found {
		m = sendMarker{ProcessID: in.ProcessID, Provider: in.Provider, InputSHA256: sum, StartedAt: time.Now().UTC()}
		if activity.IsActivity(ctx) {
			m.RunID = activity.GetInfo(ctx).WorkflowExecution.RunID
		}
	}
	m.Attempts++
	return m, false, a.saveSendMarker(ctx, m)
}

// finishSend records the provider's reference. It is tried a few times: a
// send whose reference is lost here could only be recovered by a provider
// lookup on the next attempt.
func (a *Activities) finishSend(ctx context.Context, m sendMarker, ref string) error {
	m.ProviderRef, m.SentAt = ref, time.Now().UTC()
	var err error
	for i := range 3 {
		if err = a.saveSendMarker(ctx, m); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(i+1) * 200 * time.Millisecond):
		}
	}
	return err
}

// sendOnce calls the provider for a send the marker m does not record as
// done. A retry (an earlier attempt may have reached the provider) passes
// the provider the first attempt's start and checkpointed progress, and at a
// provider that can only describe processes looks for the one that attempt
// announced (announced.go) before sending again.
func (a *Activities) sendOnce(ctx context.Context, p providers.Provider, in signing.Input, docs []providers.Document, m sendMarker) (SendOutput, error) {
	req := providers.SendRequest{Input: in, Documents: docs, Retry: m.Attempts > 1, Since: m.StartedAt, Resume: m.Progress,
		Checkpoint: func(ctx context.Context, progress []byte) error {
			m.Progress = progress
			return a.saveSendMarker(ctx, m)
		}}
	if d, ok := p.(providers.Describer); ok && req.Retry {
		ref, err := a.findAnnounced(ctx, d, in, m.StartedAt)
		if err != nil {
			return SendOutput{}, classify(err)
		}
		if ref != "" {
			if err := a.finishSend(ctx, m, ref); err != nil {
				return SendOutput{}, err
			}
			a.logger(ctx).Warn("an earlier send attempt opened the process; taking it", "provider", in.Provider, "provider_ref", ref)
			return SendOutput{ProviderRef: ref}, nil
		}
	}
	stop := keepAlive(ctx)
	res, err := p.Send(ctx, req)
	stop()
	if err != nil {
		return SendOutput{}, classify(err)
	}
	if err := a.finishSend(ctx, m, res.ProviderRef); err != nil {
		return SendOutput{}, err
	}
	a.logger(ctx).Info("process sent", "provider", in.Provider, "provider_ref", res.ProviderRef, "attempt", m.Attempts)
	return SendOutput{ProviderRef: res.ProviderRef}, nil
}
