package search

import (
	"encoding/json"
	"errors"
	"fmt"
)

// samplerSearcher is the searcher of single-fidelity algorithms (random,
// grid, Sobol, GP, TPE): whenever the scheduler has room for Want new
// trials, it asks the sampler for that many points. It creates trials only
// in proportion to free capacity, never per event, so duplicate events
// cannot create duplicate trials. Its only state is whether the sampler
// has run out of points.
type samplerSearcher struct {
	sampler Sampler
	done    bool
	reason  string
}

// NewSamplerSearcher wraps a sampler into the searcher of a single-fidelity
// algorithm.
func NewSamplerSearcher(s Sampler) Searcher { return &samplerSearcher{sampler: s} }

// SamplerOf returns the sampler a searcher made by NewSamplerSearcher wraps
// (a multi-fidelity algorithm draws new configurations from it).
func SamplerOf(se Searcher) (Sampler, bool) {
	ss, ok := se.(*samplerSearcher)
	if !ok {
		return nil, false
	}
	return ss.sampler, true
}

// RegisterSampler registers a sampler whose options parse reads from the
// settings: the spec's Validate parses them (so a bad option is a validation
// error) and its New parses them and builds the sampler. a gives the rest
// of the spec.
func RegisterSampler[O any](a AlgorithmSpec, parse func(*Space, Settings) (O, error), build func(O) (Sampler, error)) {
	a.Validate = func(s *Space, set Settings) []error {
		if _, err := parse(s, set); err != nil {
			return []error{err}
		}
		return nil
	}
	a.New = func(s *Space, set Settings) (Searcher, error) {
		o, err := parse(s, set)
		if err != nil {
			return nil, err
		}
		smp, err := build(o)
		if err != nil {
			return nil, err
		}
		return NewSamplerSearcher(smp), nil
	}
	Register(a)
}

func (s *samplerSearcher) Start(c Context) ([]Action, error) { return s.Next(c) }

func (s *samplerSearcher) Observe(c Context, _ Event) ([]Action, error) { return s.Next(c) }

// Next proposes c.Want new trials: the queued configurations first, then
// the sampler's; Done once the sampler is exhausted (queued configurations
// still run).
func (s *samplerSearcher) Next(c Context) ([]Action, error) {
	if c.Want <= 0 {
		if s.done {
			return []Action{{Kind: Done, Reason: s.reason}}, nil
		}
		return nil, nil
	}
	queued, h := TakeQueued(c, c.Want)
	acts := make([]Action, 0, c.Want+1)
	for _, p := range queued {
		acts = append(acts, Action{Kind: Create, ID: c.NewID(), Point: p})
	}
	if s.done {
		return append(acts, Action{Kind: Done, Reason: s.reason}), nil
	}
	points, err := SampleN(s.sampler, c.Space, h, c.Rng, c.Want-len(queued))
	if err != nil && !errors.Is(err, ErrExhausted) {
		return nil, err
	}
	for _, p := range points {
		acts = append(acts, Action{Kind: Create, ID: c.NewID(), Point: p})
	}
	if errors.Is(err, ErrExhausted) {
		s.done, s.reason = true, ErrExhausted.Error()
		acts = append(acts, Action{Kind: Done, Reason: s.reason})
	}
	return acts, nil
}

type samplerSnapshot struct {
	Version int    `json:"v"`
	Done    bool   `json:"done,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

func (s *samplerSearcher) Snapshot() ([]byte, error) {
	return json.Marshal(samplerSnapshot{Version: 1, Done: s.done, Reason: s.reason})
}

func (s *samplerSearcher) Restore(b []byte) error {
	var snap samplerSnapshot
	if err := json.Unmarshal(b, &snap); err != nil {
		return fmt.Errorf("restore sampler searcher: %w", err)
	}
	if snap.Version != 1 {
		return fmt.Errorf("restore sampler searcher: unknown snapshot version %d", snap.Version)
	}
	s.done, s.reason = snap.Done, snap.Reason
	return nil
}
