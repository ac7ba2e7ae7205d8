// Package median is the median stopping rule (algorithm name "median"),
// as Optuna's MedianPruner and Google Vizier define it: a running trial is
// stopped when its best intermediate value so far is worse than the median
// of the values that completed trials reported at the same step. It never
// stops a trial before step n_warmup_steps, nor before n_startup_trials
// trials have completed, nor at a step where fewer than n_min_trials
// completed trials reported.
//
// New configurations come from any registered sampler (`sampler:`,
// default random), which sees the whole history (stopped trials as
// pruned). Trials train over Span{0, max_resource} when max_resource is
// given, else over the trainer's own budget.
package median

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"

	"automl/search"
	"automl/search/fidelity"
)

// Config is a median-stopping searcher's settings.
type Config struct {
	Sampler search.Sampler
	// MaxResource is the Span.To of every trial (0: the trainer's budget).
	MaxResource float64
	// StartupTrials: completed trials needed before any stop.
	StartupTrials int
	// WarmupSteps: no trial is stopped at a step below this.
	WarmupSteps float64
	// MinTrials: completed trials that must have reported at a step for
	// the median there to count.
	MinTrials int
}

// DefaultConfig are Optuna's MedianPruner defaults.
func DefaultConfig(s search.Sampler) Config {
	return Config{Sampler: s, StartupTrials: 5, MinTrials: 1}
}

// phase of a trial.
const (
	running  = 1
	complete = 2
	dead     = 3
)

// trial is what the rule knows of one trial: its learning curve while it
// runs and once it completed (a stopped or failed trial's curve is dropped).
type trial struct {
	ID       int       `json:"id"`
	Phase    int       `json:"p"`
	Stopping bool      `json:"stop,omitempty"`
	Steps    []float64 `json:"s,omitempty"`
	Losses   []float64 `json:"l,omitempty"`
}

func (t *trial) best() float64 {
	b := math.Inf(1)
	for _, v := range t.Losses {
		b = math.Min(b, v)
	}
	return b
}

// Searcher applies the median stopping rule. It implements
// search.Searcher and fidelity.Stepper.
type Searcher struct {
	cfg    Config
	trials map[int]*trial
	order  []int
	// atStep indexes the completed trials' values by step, sorted; it is
	// rebuilt on Restore, so it is not part of the snapshot.
	atStep    map[float64][]float64
	completed int
	done      bool
	reason    string
}

// New builds a median-stopping searcher.
func New(cfg Config) (*Searcher, error) {
	if cfg.Sampler == nil {
		return nil, errors.New("median: no sampler")
	}
	if cfg.StartupTrials < 0 || cfg.MinTrials < 1 || cfg.WarmupSteps < 0 || cfg.MaxResource < 0 {
		return nil, fmt.Errorf("median: bad settings %+v", cfg)
	}
	return &Searcher{cfg: cfg, trials: map[int]*trial{}, atStep: map[float64][]float64{}}, nil
}

func (s *Searcher) Start(c search.Context) ([]search.Action, error) {
	return s.Step(c, fidelity.CapacityOf(c), nil)
}

func (s *Searcher) Observe(c search.Context, ev search.Event) ([]search.Action, error) {
	return s.Step(c, fidelity.CapacityOf(c), &ev)
}

func (s *Searcher) Next(c search.Context) ([]search.Action, error) {
	return s.Step(c, fidelity.CapacityOf(c), nil)
}

// Step applies ev (a report may stop its trial) and then starts up to
// k.New new trials.
func (s *Searcher) Step(c search.Context, k fidelity.Capacity, ev *search.Event) ([]search.Action, error) {
	var acts []search.Action
	if ev != nil {
		if a, ok := s.observe(*ev); ok {
			acts = append(acts, a)
		}
	}
	if s.done {
		return append(acts, search.Action{Kind: search.Done, Reason: s.reason}), nil
	}
	points, err := search.SampleN(s.cfg.Sampler, c.Space, c.History, c.Rng, k.New)
	if err != nil && !errors.Is(err, search.ErrExhausted) {
		return nil, fmt.Errorf("median: %w", err)
	}
	for _, p := range points {
		id := c.NewID()
		s.add(&trial{ID: id, Phase: running})
		acts = append(acts, search.Action{Kind: search.Create, ID: id, Point: p, Span: search.Span{To: s.cfg.MaxResource}})
	}
	if errors.Is(err, search.ErrExhausted) {
		s.done, s.reason = true, "median: "+search.ErrExhausted.Error()
		acts = append(acts, search.Action{Kind: search.Done, Reason: s.reason})
	}
	return acts, nil
}

func (s *Searcher) add(t *trial) {
	s.trials[t.ID] = t
	s.order = append(s.order, t.ID)
}

// observe folds one event in; a report may answer with a Stop. Reports at
// a step the trial already passed (a duplicate, or a re-run attempt
// repeating its steps) and exits of trials no longer running change nothing.
func (s *Searcher) observe(ev search.Event) (search.Action, bool) {
	t, ok := s.trials[ev.ID]
	if !ok || t.Phase != running {
		return search.Action{}, false
	}
	switch ev.Kind {
	case search.Reported:
		if !ev.HasLoss || math.IsNaN(ev.Loss) || math.IsInf(ev.Loss, 0) {
			return search.Action{}, false
		}
		if n := len(t.Steps); n > 0 && ev.Step <= t.Steps[n-1] {
			return search.Action{}, false
		}
		t.Steps = append(t.Steps, ev.Step)
		t.Losses = append(t.Losses, ev.Loss)
		if !t.Stopping && s.shouldStop(t, ev.Step) {
			t.Stopping = true
			return search.Action{Kind: search.Stop, ID: t.ID, Reason: fmt.Sprintf("median stopping rule at step %g", ev.Step)}, true
		}
	case search.Exited:
		t.Stopping = false
		if ev.Status == search.Complete {
			t.Phase = complete
			s.index(t)
		} else {
			t.Phase, t.Steps, t.Losses = dead, nil, nil
		}
	}
	return search.Action{}, false
}

// shouldStop is the rule: past the warm-up, with enough completed trials,
// the trial's best value is worse than the median of theirs at step.
func (s *Searcher) shouldStop(t *trial, step float64) bool {
	if step < s.cfg.WarmupSteps || s.completed < max(1, s.cfg.StartupTrials) {
		return false
	}
	vals := s.atStep[step]
	if len(vals) < s.cfg.MinTrials || len(vals) == 0 {
		return false
	}
	return t.best() > Median(vals)
}

// index adds a completed trial's curve to the per-step values.
func (s *Searcher) index(t *trial) {
	s.completed++
	for i, step := range t.Steps {
		vals := s.atStep[step]
		j := sort.SearchFloat64s(vals, t.Losses[i])
		s.atStep[step] = slices.Insert(vals, j, t.Losses[i])
	}
}

// Median of sorted values (the mean of the middle two for an even count,
// as numpy's percentile 50).
func Median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

type snapshot struct {
	Version int      `json:"v"`
	Trials  []*trial `json:"trials"`
	Done    bool     `json:"done,omitempty"`
	Reason  string   `json:"reason,omitempty"`
}

const snapshotVersion = 1

func (s *Searcher) Snapshot() ([]byte, error) {
	ts := make([]*trial, len(s.order))
	for i, id := range s.order {
		ts[i] = s.trials[id]
	}
	return json.Marshal(snapshot{Version: snapshotVersion, Trials: ts, Done: s.done, Reason: s.reason})
}

func (s *Searcher) Restore(b []byte) error {
	var snap snapshot
	if err := json.Unmarshal(b, &snap); err != nil {
		return fmt.Errorf("restore median: %w", err)
	}
	if snap.Version != snapshotVersion {
		return fmt.Errorf("restore median: unknown snapshot version %d", snap.Version)
	}
	r := &Searcher{cfg: s.cfg, trials: map[int]*trial{}, atStep: map[float64][]float64{}, done: snap.Done, reason: snap.Reason}
	for _, t := range snap.Trials {
		if t == nil || t.Phase < running || t.Phase > dead || len(t.Steps) != len(t.Losses) {
			return fmt.Errorf("restore median: malformed trial %+v", t)
		}
		if _, dup := r.trials[t.ID]; dup {
			return fmt.Errorf("restore median: trial %d twice", t.ID)
		}
		r.add(t)
		if t.Phase == complete {
			r.index(t)
		}
	}
	*s = *r
	return nil
}
