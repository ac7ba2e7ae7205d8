package scheduler

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"automl/search"
	"automl/spacefile"
	"automl/trial"
)

// Config configures a study run.
type Config struct {
	// File is the study's space file; its text is stored with the study.
	File *spacefile.File

	Store      Store
	Dispatcher Dispatcher
	// StoreFile names where the study is stored (the bbolt file), for
	// messages.
	StoreFile string

	// Slots is how many trials run at once (the workers' capacity, as the
	// caller knows or is told it; at most MaxSlots).
	Slots int
	// Queue is how many jobs wait beyond Slots, so a worker that finishes
	// finds its next job without waiting for the scheduler (0: none; see
	// DefaultQueue; at most MaxSlots). Jobs queued or running are also
	// bounded by twice the slots seen busy: Slots and Queue are a ceiling,
	// never a backlog created up front.
	Queue int
	// Lead is how many trials a model-based algorithm suggests ahead of
	// the free slots (see DefaultLead): a freed slot takes one while the
	// next is computed. Unlike Queue it is refilled a trial per exit, and
	// kept where the failures allowed bound the jobs to the slots.
	Lead int
	// LeadRuns > 0 drops the lead while the last attempts' median run
	// time (worker clocks) is at least LeadRuns: see DefaultLead.
	LeadRuns time.Duration
	// Override is the command line's budget: a field it sets replaces the
	// space file's. Without Settle, a trial budget or timeout set here also
	// replaces the one a resumed study was stored with.
	Override spacefile.Budget
	// Settle, when set, is called once the study is loaded (or created,
	// then created is true) and before it runs, with its record and its
	// trials in id order: it may change the record (package control
	// settles the budget a run starts with). Its error ends Run at once.
	Settle func(study *Study, trials []trial.Record, created bool) error
	// Seed, when set, overrides the space file's seed. A resumed study
	// keeps its seed; asking for another is an error.
	Seed *uint64
	// Imports are results to add to the study as imported when it opens
	// (a space file's warm_start:, read by the caller): those whose Source
	// the study already has are left out, so they are added once.
	Imports []trial.Record
	// AllowSpaceChange lets a study continue with an edited space file
	// (bounds, choices, parameters added with a default or removed, log,
	// step, conditions, a sampler's options): its earlier trials stay as
	// recorded and the search learns from those that fit the new space.
	// Without it such a study is refused with ErrSpaceChanged, which lists
	// the changes. SpaceEdited, when set, is told of an edit applied
	// (else the log is).
	AllowSpaceChange bool
	SpaceEdited      func(SpaceEdit)
	// TimeoutGrace is how long running trials may still run once the time
	// budget is used; then they are stopped and queued again, to run when
	// the study continues with a larger budget (0: stopped at once).
	TimeoutGrace time.Duration

	Log *slog.Logger
	// Progress, when set, is called after every step with the study's state.
	Progress func(Progress)
	// Now is the clock (tests inject one).
	Now func() time.Time
	// Ready, when set, is called once the study is loaded, recovered and its
	// first jobs dispatched: in-process workers start then, so none takes a
	// job of an attempt the recovery superseded.
	Ready func()
}

// check validates the configuration and fills in defaults.
func (cfg Config) check() (Config, error) {
	o := cfg.Override
	switch {
	case cfg.File == nil || cfg.File.Space == nil:
		return cfg, errors.New("scheduler: no space file")
	case cfg.Store == nil:
		return cfg, errors.New("scheduler: no store")
	case cfg.Dispatcher == nil:
		return cfg, errors.New("scheduler: no dispatcher")
	case cfg.Slots < 1 || cfg.Slots > MaxSlots:
		return cfg, fmt.Errorf("scheduler: slots must be 1 to %d, got %d", MaxSlots, cfg.Slots)
	case cfg.Queue > MaxSlots:
		return cfg, fmt.Errorf("scheduler: queue must be at most %d, got %d", MaxSlots, cfg.Queue)
	case cfg.Lead > MaxSlots:
		return cfg, fmt.Errorf("scheduler: lead must be at most %d, got %d", MaxSlots, cfg.Lead)
	case o.Trials < 0 || o.Trials > spacefile.MaxTrials:
		return cfg, fmt.Errorf("scheduler: trials must be 0 to %d, got %d", spacefile.MaxTrials, o.Trials)
	case o.Timeout < 0 || o.Timeout > spacefile.MaxTimeout:
		return cfg, fmt.Errorf("scheduler: timeout must be 0 to %s, got %s", spacefile.MaxTimeout, o.Timeout)
	case cfg.TimeoutGrace < 0:
		return cfg, fmt.Errorf("scheduler: timeout grace must be >= 0, got %s", cfg.TimeoutGrace)
	}
	for _, b := range []*int{o.Retries, o.MaxLost, o.MaxFailed} {
		if b != nil && *b < 0 {
			return cfg, fmt.Errorf("scheduler: failure budgets must be >= 0, got %d", *b)
		}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.Queue, cfg.Lead = max(cfg.Queue, 0), max(cfg.Lead, 0)
	return cfg, nil
}

// DefaultQueue is how many jobs to queue beyond the slots: for an
// algorithm whose proposals do not depend on results (random, grid,
// Sobol), enough that a worker finishing a trial finds its next job at
// once (as many as the slots, at least 32, at most MaxSlots); none for a
// model-based one, whose every proposal should see the latest results.
func DefaultQueue(f *spacefile.File, slots int) int {
	if f.Algorithm.Prefetch() {
		return min(max(slots, 32), MaxSlots)
	}
	return 0
}

// DefaultLead is how many trials gp suggests ahead of the free slots: one
// from 4 slots on, so a freed slot takes a trial already suggested while
// the next is computed (bench/bayes/RESULTS.md, "Slot idle: a lead for
// gp"), from every result told so far; while runs last under upTo (10 s),
// beyond which a suggestion's wait is under 1% of a trial and the lead
// would only cost the searcher a pending trial. gp's option lead sets it,
// for runs of any length. Random, grid and Sobol have a queue instead.
func DefaultLead(f *spacefile.File, slots int) (lead int, upTo time.Duration) {
	spec, ok := search.Lookup(f.Algorithm.Name)
	if !ok || spec.Name != "gp" {
		return 0, 0
	}
	if n, ok := f.Algorithm.Options["lead"].Int(); ok {
		return min(max(int(n), 0), MaxSlots), 0
	}
	if slots >= 4 {
		return 1, leadRuns
	}
	return 0, 0
}

// leadRuns is the run time under which gp's default lead applies.
const leadRuns = 10 * time.Second

// Summary is how a run ended.
type Summary struct {
	Study   string
	Status  StudyStatus
	Reason  string
	Resumed bool
	Counts  map[trial.State]int
	// Best is the best completed trial, when HasBest.
	Best    trial.Record
	HasBest bool
	// Front is the Pareto front of a study of several objectives (it has
	// no best), in id order, and Hypervolume its hypervolume against the
	// nadir of the feasible trials plus 10% (goal.Hypervolume).
	Front       []trial.Record
	Hypervolume float64
}
