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
//
// The learning curves come from the History (search.Observation.Curve,
// which the scheduler keeps and rebuilds from the stored reports on
// resume), not from the searcher's own memory: the snapshot, written with
// every commit, holds only the rule's decisions (the trials it asked to
// stop and have not exited yet, and whether it is done), a few bytes
// instead of every curve. The per-step values of completed trials are an
// index rebuilt from the History after a Restore.
package median

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"

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

// Searcher applies the median stopping rule. It implements
// search.Searcher and fidelity.Stepper.
type Searcher struct {
	cfg Config
	// stopping holds the trials asked to stop that have not exited yet, so
	// a trial is asked once (policy state: in the snapshot).
	stopping map[int]bool
	done     bool
	reason   string
	// idx is derived from the History, never snapshotted.
	idx *index
}

// New builds a median-stopping searcher.
func New(cfg Config) (*Searcher, error) {
	if cfg.Sampler == nil {
		return nil, errors.New("median: no sampler")
	}
	if cfg.StartupTrials < 0 || cfg.MinTrials < 1 || cfg.WarmupSteps < 0 || cfg.MaxResource < 0 {
		return nil, fmt.Errorf("median: bad settings %+v", cfg)
	}
	return &Searcher{cfg: cfg, stopping: map[int]bool{}}, nil
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
		if a, ok := s.observe(c.History, *ev); ok {
			acts = append(acts, a)
		}
	}
	if s.done {
		return append(acts, search.Action{Kind: search.Done, Reason: s.reason}), nil
	}
	points, h := search.TakeQueued(c, k.New)
	drawn, err := search.SampleN(s.cfg.Sampler, c.Space, h, c.Rng, k.New-len(points))
	if err != nil && !errors.Is(err, search.ErrExhausted) {
		return nil, fmt.Errorf("median: %w", err)
	}
	points = append(points, drawn...)
	for _, p := range points {
		acts = append(acts, search.Action{Kind: search.Create, ID: c.NewID(), Point: p, Span: search.Span{To: s.cfg.MaxResource}})
	}
	if errors.Is(err, search.ErrExhausted) {
		s.done, s.reason = true, "median: "+search.ErrExhausted.Error()
		acts = append(acts, search.Action{Kind: search.Done, Reason: s.reason})
	}
	return acts, nil
}

// observe folds one event in; a report may answer with a Stop. The rule
// reads only the History and the stop requests, so a duplicate event
// decides as the first one did and changes nothing.
func (s *Searcher) observe(h *search.History, ev search.Event) (search.Action, bool) {
	idx := s.index(h)
	o, ok := h.Get(ev.ID)
	if !ok {
		return search.Action{}, false
	}
	switch ev.Kind {
	case search.Reported:
		if o.Status != search.Pending || s.stopping[ev.ID] || !ev.HasLoss || !finite(ev.Loss) {
			return search.Action{}, false
		}
		if s.shouldStop(idx, bestUpTo(o.Curve, ev.Step, ev.Loss), ev.Step) {
			s.stopping[ev.ID] = true
			return search.Action{Kind: search.Stop, ID: ev.ID, Reason: fmt.Sprintf("median stopping rule at step %g", ev.Step)}, true
		}
	case search.Exited:
		delete(s.stopping, ev.ID)
		if ev.Status == search.Complete && o.Status == search.Complete {
			idx.add(o)
		}
	}
	return search.Action{}, false
}

// shouldStop is the rule: past the warm-up, with enough completed trials,
// the trial's best value is worse than the median of theirs at step.
func (s *Searcher) shouldStop(idx *index, best, step float64) bool {
	if step < s.cfg.WarmupSteps || len(idx.seen) < max(1, s.cfg.StartupTrials) {
		return false
	}
	vals := idx.atStep[step]
	if len(vals) < s.cfg.MinTrials || len(vals) == 0 {
		return false
	}
	return best > Median(vals)
}

// bestUpTo is a running trial's best value so far: the reported loss and
// every point of its curve up to step (a re-run attempt's points beyond
// step are not "so far").
func bestUpTo(curve []search.CurvePoint, step, loss float64) float64 {
	best := loss
	for _, p := range curve {
		if p.Step <= step && finite(p.Loss) {
			best = math.Min(best, p.Loss)
		}
	}
	return best
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// Median of sorted values (the mean of the middle two for an even count,
// as numpy's percentile 50).
func Median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// index holds the completed trials' values by step, sorted, built from
// one History: incrementally as trials complete, and from scratch when
// the searcher meets a History it has not indexed (after a Restore).
type index struct {
	h      *search.History
	seen   map[int]bool
	atStep map[float64][]float64
}

func (s *Searcher) index(h *search.History) *index {
	if s.idx != nil && s.idx.h == h {
		return s.idx
	}
	s.idx = &index{h: h, seen: map[int]bool{}, atStep: map[float64][]float64{}}
	if h != nil {
		for i := range h.Trials {
			if o := &h.Trials[i]; o.Status == search.Complete {
				s.idx.add(o)
			}
		}
	}
	return s.idx
}

// add indexes a completed trial's curve once: at each step, the last value
// reported there (a re-run attempt overwrites, as the store keeps it).
func (x *index) add(o *search.Observation) {
	if x.seen[o.ID] || (o.Imported && len(o.Curve) == 0) {
		// An imported result without its curve says nothing about any
		// step, so it does not count towards n_startup_trials either.
		return
	}
	x.seen[o.ID] = true
	last := map[float64]float64{}
	for _, p := range o.Curve {
		if finite(p.Loss) {
			last[p.Step] = p.Loss
		}
	}
	for step, v := range last {
		vals := x.atStep[step]
		i, _ := slices.BinarySearch(vals, v)
		x.atStep[step] = slices.Insert(vals, i, v)
	}
}

// snapshot is the rule's own state: its stop requests and whether it is done.
type snapshot struct {
	Version int    `json:"v"`
	Stop    []int  `json:"stop,omitempty"`
	Done    bool   `json:"done,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// snapshotVersion 2 dropped the curves that version 1 kept (the History
// has them); Restore still reads version 1.
const snapshotVersion = 2

func (s *Searcher) Snapshot() ([]byte, error) {
	ids := make([]int, 0, len(s.stopping))
	for id := range s.stopping {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return json.Marshal(snapshot{Version: snapshotVersion, Stop: ids, Done: s.done, Reason: s.reason})
}

func (s *Searcher) Restore(b []byte) error {
	var head struct {
		Version int `json:"v"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return fmt.Errorf("restore median: %w", err)
	}
	var snap snapshot
	var err error
	switch head.Version {
	case 1:
		snap, err = fromV1(b)
	case snapshotVersion:
		err = json.Unmarshal(b, &snap)
	default:
		err = fmt.Errorf("unknown snapshot version %d", head.Version)
	}
	if err != nil {
		return fmt.Errorf("restore median: %w", err)
	}
	stopping := map[int]bool{}
	for _, id := range snap.Stop {
		if id < 0 || stopping[id] {
			return fmt.Errorf("restore median: bad stop list %v", snap.Stop)
		}
		stopping[id] = true
	}
	*s = Searcher{cfg: s.cfg, stopping: stopping, done: snap.Done, reason: snap.Reason}
	return nil
}

// fromV1 reads a version 1 snapshot (every trial's phase and curve) for
// its decisions: the trials being stopped, and done.
func fromV1(b []byte) (snapshot, error) {
	var v1 struct {
		Trials []*struct {
			ID       int       `json:"id"`
			Phase    int       `json:"p"`
			Stopping bool      `json:"stop,omitempty"`
			Steps    []float64 `json:"s,omitempty"`
			Losses   []float64 `json:"l,omitempty"`
		} `json:"trials"`
		Done   bool   `json:"done,omitempty"`
		Reason string `json:"reason,omitempty"`
	}
	if err := json.Unmarshal(b, &v1); err != nil {
		return snapshot{}, err
	}
	snap := snapshot{Version: snapshotVersion, Done: v1.Done, Reason: v1.Reason}
	seen := map[int]bool{}
	for _, t := range v1.Trials {
		if t == nil || t.Phase < 1 || t.Phase > 3 || len(t.Steps) != len(t.Losses) || seen[t.ID] {
			return snapshot{}, fmt.Errorf("malformed version 1 trial %+v", t)
		}
		seen[t.ID] = true
		if t.Stopping {
			snap.Stop = append(snap.Stop, t.ID)
		}
	}
	return snap, nil
}
