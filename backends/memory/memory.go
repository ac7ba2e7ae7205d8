// Package memory is an in-memory scheduler.Store for unit tests of the
// scheduler and for programs that need no persistence. It keeps every
// record JSON-encoded, exactly as backends/bolt does, so the two stores
// accept and refuse the same changes (a NaN objective value cannot be
// encoded) and callers never alias its state: what goes in is encoded,
// what comes out is freshly decoded.
package memory

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"

	"automl/scheduler"
)

// ErrClosed is returned by every method of a closed Store.
var ErrClosed = errors.New("memory store is closed")

// Store is an in-memory scheduler.Store, safe for concurrent use.
type Store struct {
	mu      sync.RWMutex
	closed  bool
	studies map[string]*study
}

// study holds one study's encoded records. Stored slices are never
// modified, only replaced, so readers may use them after unlocking.
type study struct {
	config   []byte
	snapshot []byte
	trials   map[int][]byte
	reports  map[int]map[uint64][]byte // by trial id, then stepKey(step)
	logs     map[logKey]*attemptLog
}

var _ scheduler.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store { return &Store{studies: map[string]*study{}} }

// Commit applies c to the study atomically: c is validated and encoded in
// full before anything is written.
func (s *Store) Commit(ctx context.Context, name string, c scheduler.Change) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("commit study %q: %w", name, err)
	}
	enc, err := encodeChange(name, &c)
	if err != nil {
		return fmt.Errorf("commit study %q: %w", name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if c.Empty() {
		return nil
	}
	st := s.studies[name]
	if st == nil {
		if enc.config == nil {
			return fmt.Errorf("commit study %q: %w (its first commit must carry the study record)", name, scheduler.ErrStudyNotFound)
		}
		st = &study{trials: map[int][]byte{}, reports: map[int]map[uint64][]byte{}}
		s.studies[name] = st
	}
	if enc.config != nil {
		st.config = enc.config
	}
	if enc.snapshot != nil {
		st.snapshot = enc.snapshot
	}
	for id, b := range enc.trials {
		st.trials[id] = b
	}
	for _, r := range enc.reports {
		m := st.reports[r.id]
		if m == nil {
			m = map[uint64][]byte{}
			st.reports[r.id] = m
		}
		m[r.step] = r.data
	}
	st.keepLogs(c.Logs)
	return nil
}

// Load returns the study's state; Study is nil when it does not exist.
func (s *Store) Load(ctx context.Context, name string) (scheduler.StudyState, error) {
	var out scheduler.StudyState
	if err := ctx.Err(); err != nil {
		return out, err
	}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return out, ErrClosed
	}
	st := s.studies[name]
	if st == nil {
		s.mu.RUnlock()
		return out, nil
	}
	config, snapshot := st.config, st.snapshot
	ids := slices.Sorted(maps.Keys(st.trials))
	trials := make([][]byte, len(ids))
	for i, id := range ids {
		trials[i] = st.trials[id]
	}
	s.mu.RUnlock()

	out, err := decodeState(config, snapshot, trials)
	if err != nil {
		return scheduler.StudyState{}, fmt.Errorf("load study %q: %w", name, err)
	}
	return out, nil
}

// Reports returns a trial's reports in step order.
func (s *Store) Reports(ctx context.Context, name string, id int) ([]scheduler.Report, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return nil, ErrClosed
	}
	st := s.studies[name]
	if st == nil {
		s.mu.RUnlock()
		return nil, fmt.Errorf("reports of trial %d: study %q: %w", id, name, scheduler.ErrStudyNotFound)
	}
	m := st.reports[id]
	steps := slices.Sorted(maps.Keys(m))
	raw := make([][]byte, len(steps))
	for i, k := range steps {
		raw[i] = m[k]
	}
	s.mu.RUnlock()

	out := make([]scheduler.Report, len(raw))
	for i, b := range raw {
		if err := unmarshal(b, &out[i]); err != nil {
			return nil, fmt.Errorf("reports of trial %d of study %q: %w", id, name, err)
		}
	}
	return out, nil
}

// Studies lists every study in name order with its trial counts and best value.
func (s *Store) Studies(ctx context.Context) ([]scheduler.StudyInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	type item struct {
		config []byte
		trials [][]byte
	}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return nil, ErrClosed
	}
	names := slices.Sorted(maps.Keys(s.studies))
	items := make([]item, len(names))
	for i, name := range names {
		st := s.studies[name]
		items[i].config = st.config
		for _, id := range slices.Sorted(maps.Keys(st.trials)) {
			items[i].trials = append(items[i].trials, st.trials[id])
		}
	}
	s.mu.RUnlock()

	out := make([]scheduler.StudyInfo, len(items))
	for i, it := range items {
		if err := unmarshal(it.config, &out[i].Study); err != nil {
			return nil, fmt.Errorf("study %q: %w", names[i], err)
		}
		sum := newSummary(out[i].Objective)
		for _, b := range it.trials {
			if err := sum.add(b); err != nil {
				return nil, fmt.Errorf("study %q: %w", names[i], err)
			}
		}
		sum.fill(&out[i])
	}
	return out, nil
}

// Close makes every later call fail with ErrClosed. Closing twice is fine.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.studies = nil
	return nil
}
