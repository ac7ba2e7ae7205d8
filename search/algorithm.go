package search

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"automl/internal/registry"
	"automl/search/value"
)

// Sampler proposes configurations. It is a pure function of its arguments:
// all randomness comes from rng and all knowledge from the space and the
// history (which includes pending trials). Implementations keep no mutable
// state between calls, so a study resumes exactly from its trials and its
// rng state.
type Sampler interface {
	Sample(space *Space, h *History, rng *rand.Rand) (Point, error)
}

// BatchSampler is implemented by samplers that choose n points jointly (for
// n free slots) better than one at a time.
type BatchSampler interface {
	SampleBatch(space *Space, h *History, rng *rand.Rand, n int) ([]Point, error)
}

// ErrExhausted is returned by a sampler that has no new point to give (a
// finished grid). The study then ends with that reason.
var ErrExhausted = errors.New("search space exhausted")

// SampleN draws n points, each seeing the ones before it as pending.
func SampleN(s Sampler, space *Space, h *History, rng *rand.Rand, n int) ([]Point, error) {
	if n <= 0 {
		return nil, nil
	}
	if b, ok := s.(BatchSampler); ok {
		return b.SampleBatch(space, h, rng, n)
	}
	base := len(h.Trials)
	defer func() { h.Trials = h.Trials[:base] }()
	out := make([]Point, 0, n)
	for i := 0; i < n; i++ {
		p, err := s.Sample(space, h, rng)
		if err != nil {
			if errors.Is(err, ErrExhausted) && len(out) > 0 {
				return out, nil
			}
			return out, err
		}
		out = append(out, p)
		h.Trials = append(h.Trials, Observation{ID: -1 - i, Point: p, Status: Pending})
	}
	return out, nil
}

// Span is a job's training budget, in units of the study's resource. Zero
// To means "the trainer's own full budget" (no multi-fidelity). Pause says
// the job ends at To below the trial's full budget: the trainer keeps a
// checkpoint there and the trial waits, paused, for a promotion (a Create
// for the same trial with the next span).
type Span struct {
	From, To float64
	Pause    bool
}

// Action is what a searcher asks the scheduler to do.
type Action struct {
	Kind ActionKind
	// ID of the trial: new for a Create of a new configuration (from
	// Context.NewID), existing for a promotion or a Stop.
	ID int
	// Point of a new trial (nil for a promotion: the trial keeps its point).
	Point Point
	// Span of training for a Create.
	Span Span
	// Reason, for Done and Stop.
	Reason string
}

// ActionKind enumerates actions.
type ActionKind uint8

const (
	// Create runs (or continues, for an existing ID) a trial over Span.
	Create ActionKind = iota + 1
	// Stop ends a running trial early (pruned).
	Stop
	// Done ends the study: the searcher has nothing more to propose.
	Done
)

// EventKind enumerates what a searcher observes.
type EventKind uint8

const (
	// Reported: an intermediate value at Step (a trial's learning curve).
	Reported EventKind = iota + 1
	// Exited: a job ended (a trial finished, failed, was pruned or paused at its Span.To).
	Exited
)

// Event is what happened to a trial, in search terms.
type Event struct {
	Kind    EventKind
	ID      int
	Step    float64
	Loss    float64 // the objective as a loss (see Objective.Loss)
	HasLoss bool
	Status  Status // for Exited
}

// Context is what a searcher may use in one call. Want is how many new
// trials the scheduler can take now (free slots within the trial budget);
// Jobs is how many jobs of any kind (new trials and promotions) it can take
// (free slots within the resource budget), Jobs >= Want. A searcher
// returns at most Want Creates of new trials and at most Jobs Creates in
// all.
type Context struct {
	Space   *Space
	History *History
	Rng     *rand.Rand
	Want    int
	Jobs    int
	// NewID allocates the next trial id (deterministic, saved by the scheduler).
	NewID func() int
	// Queue, when set, hands out the configurations users asked to run
	// before the algorithm's own (automl enqueue, a space file's
	// enqueue:), one per call, in order, and false when none is left. A
	// searcher takes its new trials' points from it first (TakeQueued),
	// wherever it places them (a rung, a bracket), and its model sees
	// their results like any other trial's. The scheduler saves what is
	// left with the searcher's snapshot, so a resumed study replays alike.
	Queue func() (Point, bool)
}

// TakeQueued takes up to n of the configurations users queued
// (Context.Queue), in order, and returns them with the history a sampler
// drawing beside them should see: c.History with them as pending trials
// (c.History itself when there are none).
func TakeQueued(c Context, n int) ([]Point, *History) {
	var out []Point
	for len(out) < n && c.Queue != nil {
		p, ok := c.Queue()
		if !ok {
			break
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, c.History
	}
	return out, c.History.WithPending(out...)
}

// Searcher is a deterministic, side-effect-free policy: same snapshot and
// same events, same actions. It does no I/O, and whatever it computes in
// the background (gp fits its hyperparameters ahead, search/gp/fitahead.go)
// must not change its actions: only how long they take.
// Observe must treat a duplicate event as a no-op.
//
// The History may hold trials the searcher did not create: imported
// results (Observation.Imported; warm start), present from the first call
// or added between calls. A searcher never stops or continues them, and a
// searcher that models results (GP, TPE, BOHB's model) learns from them;
// they are not part of the trial budget (Want never counts them).
type Searcher interface {
	Start(c Context) ([]Action, error)
	Observe(c Context, ev Event) ([]Action, error)
	// Next is called when the scheduler has free capacity (c.Want > 0)
	// without a new event (after a resume or a raised budget).
	Next(c Context) ([]Action, error)
	Snapshot() ([]byte, error)
	Restore(b []byte) error
}

// Algorithm registration: each algorithm package registers itself, so the
// space file is validated against the algorithms compiled in.

// OptionKind is the type of an algorithm option.
type OptionKind uint8

const (
	OptFloat OptionKind = iota + 1
	OptInt
	OptString
	OptBool
)

// Option describes one algorithm-specific key of the `algorithm:` section.
type Option struct {
	Kind OptionKind
	// Choices limits a string option; Min, when set, bounds a number
	// option (inclusive).
	Choices []string
	Min     *float64
	Doc     string
}

// Settings configure an algorithm for one study: which algorithm, the
// study's seed (every randomness of the algorithm derives from it) and the
// algorithm's own options, checked against its AlgorithmSpec.Options.
type Settings struct {
	Name    string
	Seed    uint64
	Options map[string]value.Value
}

// AlgorithmSpec describes a registered algorithm.
type AlgorithmSpec struct {
	Name    string
	Aliases []string
	Doc     string
	Options map[string]Option
	// Prefetch says the algorithm's proposals do not depend on results
	// (random, grid, Sobol), so the scheduler may queue jobs ahead of free
	// slots to keep workers busy; model-based algorithms propose only when a
	// slot is free, so every proposal sees the latest results.
	Prefetch bool
	// MultiObjective says the algorithm runs studies with several
	// objectives (random, grid, Sobol ignore the results; gp scalarises
	// them; hyperband, asha and bohb promote by Pareto rank); the space
	// file refuses several objectives with any other.
	MultiObjective bool
	// Validate checks the space and settings beyond option types (grid
	// needs every float to have grid: or points:): a mistake about one
	// parameter is a *ParamError, about one option an *OptionError.
	// Optional.
	Validate func(space *Space, set Settings) []error
	// New builds the searcher for a validated space.
	New func(space *Space, set Settings) (Searcher, error)
}

var algorithms = registry.New[AlgorithmSpec]("search: algorithm")

// Register makes an algorithm available to space files. It panics on a
// duplicate name: a programming error found at init.
func Register(a AlgorithmSpec) { algorithms.Add(a, a.Name, a.Aliases...) }

// Lookup returns a registered algorithm by name or alias.
func Lookup(name string) (*AlgorithmSpec, bool) { return algorithms.Get(name) }

// AlgorithmNames lists registered names and aliases, sorted.
func AlgorithmNames() []string { return algorithms.Names() }

// NewSearcher builds the searcher the settings name, for the space.
func NewSearcher(space *Space, set Settings) (Searcher, error) {
	a, ok := Lookup(set.Name)
	if !ok {
		return nil, fmt.Errorf("unknown algorithm %q", set.Name)
	}
	return a.New(space, set)
}
