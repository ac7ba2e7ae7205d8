package memory

import (
	"context"
	"fmt"
	"slices"

	"automl/scheduler"
	"automl/trial"
	"automl/trial/triallog"
)

// logKey is one attempt of one trial.
type logKey struct{ id, attempt int }

// attemptLog is an attempt's stored log: its bookkeeping and its chunks.
type attemptLog struct {
	meta   triallog.Meta
	chunks triallog.Chunks
}

// keepLogs stores a change's log parts; st is locked for writing.
func (st *study) keepLogs(parts []triallog.Part) {
	for _, p := range parts {
		if st.logs == nil {
			st.logs = map[logKey]*attemptLog{}
		}
		k := logKey{p.ID, p.Attempt}
		a := st.logs[k]
		if a == nil {
			a = &attemptLog{}
			st.logs[k] = a
		}
		p.Lines = slices.Clone(p.Lines) // the caller's slice stays the caller's
		_, _ = triallog.Keep(&a.meta, p, &a.chunks)
	}
}

// Log returns what q asks of a trial attempt's log.
func (s *Store) Log(ctx context.Context, name string, q triallog.Query) (triallog.Log, error) {
	if err := ctx.Err(); err != nil {
		return triallog.Log{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return triallog.Log{}, ErrClosed
	}
	st := s.studies[name]
	if st == nil {
		return triallog.Log{}, fmt.Errorf("log of trial %d: study %q: %w", q.ID, name, scheduler.ErrStudyNotFound)
	}
	raw, ok := st.trials[q.ID]
	if !ok {
		return triallog.Log{}, fmt.Errorf("study %q: trial %d: %w", name, q.ID, triallog.ErrNoTrial)
	}
	var rec trial.Record
	if err := unmarshal(raw, &rec); err != nil {
		return triallog.Log{}, fmt.Errorf("log of trial %d of study %q: %w", q.ID, name, err)
	}
	out := triallog.Log{ID: q.ID, Attempt: q.Attempt, State: rec.State.String(), Current: rec.Attempt}
	if out.Attempt == 0 {
		out.Attempt = rec.Attempt
	}
	for k := range st.logs {
		if k.id == q.ID {
			out.Attempts = append(out.Attempts, k.attempt)
		}
	}
	slices.Sort(out.Attempts)
	if a := st.logs[logKey{q.ID, out.Attempt}]; a != nil {
		m := a.meta
		out.Lines = slices.Clone(triallog.Read(m, a.chunks, q))
		out.Bytes, out.Total, out.Dropped, out.Worker, out.Last = m.Bytes, m.Lines, m.Dropped, m.Worker, m.Last
	}
	return out, nil
}
