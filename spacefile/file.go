package spacefile

import (
	"fmt"
	"time"

	"automl/search"
	"automl/search/value"
	"automl/trial"
	"automl/trial/goal"
)

// File is a parsed, validated space file: everything that defines a study.
// It is immutable after Parse.
//
// Optional settings follow one convention: a number that must be positive
// when given (trials, timeout, max_resource_total) is zero when unset; one
// for which zero means something (a seed, a failure budget) is a pointer,
// nil when unset.
type File struct {
	// Path is where the file was read from (for messages); Text is its
	// contents as written, stored with the study.
	Path string
	Text []byte

	Study       string
	Description string
	// Objective is the study's objective: the one under objective:, or
	// the first of objectives:.
	Objective trial.Objective
	// Objectives are those under objectives: (2 or more), nil for a study
	// of one objective; Constraints those under constraints:. See Goals.
	Objectives  []trial.Objective
	Constraints []goal.Constraint
	Budget      Budget
	Algorithm   Algorithm
	// Resource names the fidelity trainers receive as from/to (epochs).
	Resource string
	// Trainer is the trainer section as written (an alias such as func
	// stays so; see JobTrainer).
	Trainer trial.Trainer
	// Space is the parameter space.
	Space *search.Space
	// Enqueue are the configurations the file asks to run before the
	// algorithm's own (enqueue:), in file order.
	Enqueue []Point
	// WarmStart lists where to import results from when the study starts
	// (warm_start:; empty when the file has none).
	WarmStart WarmStart
	// KeepModels is how many completed trials keep their model file
	// (keep_models:): the best K by the study's ranking, the leaderboard's
	// order; KeepAllModels keeps every one. DefaultKeepModels when the file
	// does not say.
	KeepModels int
	// Ensemble asks for an ensemble of the study's models when it ends
	// (ensemble:; nil when the file has none).
	Ensemble *Ensemble
	// OwnTrainer: read by ParseWithoutTrainer, for a program that trains
	// the trials itself; Trainer may be empty.
	OwnTrainer bool

	pos positions
}

// keep_models: the default, and the value that keeps every model (all).
const (
	DefaultKeepModels = 5
	KeepAllModels     = -1
)

// Budget bounds a study.
type Budget struct {
	Trials           int
	Timeout          time.Duration
	MaxResourceTotal float64
	// The failure budgets. Retries: re-runs of a trial whose code failed.
	// MaxLost: re-runs of a run the infrastructure lost (a worker died),
	// which are not failures of the trial. MaxFailed: failed trials that
	// end the study. FailFast: K, the study stops when the first K trials
	// of a run all fail with the same cause (0: never).
	Retries, MaxLost, MaxFailed, FailFast *int
	// CountFailed makes failed trials count against Trials (count_failed:
	// true); by default they do not, so a failed trial is replaced.
	CountFailed bool
}

// Limits of a budget, in the space file and on the command line alike.
// Nothing in a study is sized by its budget (jobs are created as slots take
// them), so these bound typos, not memory.
const (
	// MaxTrials is a billion trials: eleven days at a thousand a second,
	// and trial ids stay well inside the 31 bits a job's key is sized for.
	MaxTrials = 1_000_000_000
	// MaxTimeout bounds every timeout (budget.timeout, trainer.timeout):
	// a year; a longer one is a slip of the keyboard (30000h for 300h).
	MaxTimeout = 365 * 24 * time.Hour
)

// Bounds of trainer.log_limit, the trainer output an attempt keeps: a
// line is at most 64 KiB, and the whole log goes into the study file.
const (
	MinLogLimit int64 = 1 << 10
	MaxLogLimit int64 = 1 << 30
)

// Override returns b with every field that o sets replacing b's: the
// command line's flags over the file's budget.
func (b Budget) Override(o Budget) Budget {
	if o.Trials > 0 {
		b.Trials = o.Trials
	}
	if o.Timeout > 0 {
		b.Timeout = o.Timeout
	}
	if o.MaxResourceTotal > 0 {
		b.MaxResourceTotal = o.MaxResourceTotal
	}
	b.CountFailed = b.CountFailed || o.CountFailed
	for _, f := range []struct{ dst, src **int }{{&b.Retries, &o.Retries}, {&b.MaxLost, &o.MaxLost}, {&b.MaxFailed, &o.MaxFailed}, {&b.FailFast, &o.FailFast}} {
		if *f.src != nil {
			v := **f.src
			*f.dst = &v
		}
	}
	return b
}

// Failure budgets when neither the file nor the command line sets them.
const (
	DefaultRetries  = 0
	DefaultMaxLost  = 5
	DefaultFailFast = 3
)

// Retry is the retry budget of each trial, defaults filled in.
func (b Budget) Retry() trial.Retry {
	return trial.Retry{Retries: orDefault(b.Retries, DefaultRetries), MaxLost: orDefault(b.MaxLost, DefaultMaxLost)}
}

// FailedLimit is how many failed trials end the study: max_failed, else
// 10% of the trial budget in force, at least 5.
func (b Budget) FailedLimit(trials int) int {
	return orDefault(b.MaxFailed, max(5, trials/10))
}

// FailFastAfter is K of budget.fail_fast: a run whose first K trials to
// end all failed with the same cause stops the study (0: never).
func (b Budget) FailFastAfter() int {
	return orDefault(b.FailFast, DefaultFailFast)
}

func orDefault(p *int, def int) int {
	if p == nil {
		return def
	}
	return *p
}

// Algorithm is the algorithm section: which algorithm, the seed the file
// gives (nil: one is chosen when the study is created, and recorded) and
// the algorithm's own options.
type Algorithm struct {
	Name    string
	Seed    *uint64
	Options map[string]value.Value
}

// Settings are what the algorithm is built with, for the study's seed.
func (a Algorithm) Settings(seed uint64) search.Settings {
	return search.Settings{Name: a.Name, Seed: seed, Options: a.Options}
}

// Prefetch reports whether the algorithm's proposals do not depend on
// results, so jobs may be queued ahead of free slots (see
// search.AlgorithmSpec.Prefetch).
func (a Algorithm) Prefetch() bool {
	spec, ok := search.Lookup(a.Name)
	return ok && spec.Prefetch
}

// MaxResource is the trials' full budget when the algorithm sets one
// (max_resource), else 0.
func (a Algorithm) MaxResource() float64 {
	if v, ok := a.Options["max_resource"]; ok {
		if x, ok := v.Float(); ok {
			return x
		}
	}
	return 0
}

// JobTrainer is the trainer section as jobs carry it: a built-in trainer's
// alias (func) is resolved to its name (funcs), which workers serve.
func (f *File) JobTrainer() trial.Trainer {
	t := f.Trainer
	if spec, ok := LookupTrainer(t.Plugin); ok {
		t.Plugin = spec.Name
	}
	return t
}

// positions are where things are written in the file, for messages.
type positions struct {
	metric, algorithm, trainer Pos
	budget                     Pos                       // the budget key; zero when there is none
	objectives                 Pos                       // the objectives key
	trainerKeys                map[string]Pos            // trainer key (plugin, sha256, ...) -> its value
	algorithmKeys              map[string]Pos            // algorithm option -> its value
	config                     map[string]Pos            // trainer.config key -> its value
	params                     map[string]Pos            // parameter -> its name
	conditions                 map[string]map[string]Pos // parameter -> when: parent -> the parent's key
}

// BudgetWarning warns, placed at the budget key (or the top of the file),
// when nothing written bounds the study: no trials, timeout or
// max_resource_total, and an algorithm other than grid, which ends by
// itself. Such a study is valid (it runs until stopped, on purpose or
// not), so this is a warning, nil when the budget is bounded.
func (f *File) BudgetWarning() *Error {
	if b := f.Budget; b.Trials > 0 || b.Timeout > 0 || b.MaxResourceTotal > 0 || f.Algorithm.Name == "grid" {
		return nil
	}
	pos := f.pos.budget
	if pos.Line == 0 {
		pos = Pos{1, 1}
	}
	return &Error{File: f.Path, Pos: pos, Where: "budget", Msg: "warning: no trials, timeout or max_resource_total: the study runs until it is stopped " +
		"(Ctrl-C or automl stop) or its algorithm has nothing left to try; add one (budget: {trials: 100}), or give automl search --trials or --timeout"}
}

// ConfigError makes an error about a trainer config key, placed at that key
// in the space file, for TrainerSpec.Check functions.
func (f *File) ConfigError(key string, format string, args ...any) error {
	pos, ok := f.pos.config[key]
	if !ok {
		pos = f.pos.trainer
	}
	return &Error{File: f.Path, Pos: pos, Where: "trainer.config." + key, Msg: fmt.Sprintf(format, args...)}
}

// TrainerKeyError makes an error about a key of the trainer section
// (plugin, sha256, ...), placed at its value.
func (f *File) TrainerKeyError(key string, format string, args ...any) error {
	pos, ok := f.pos.trainerKeys[key]
	if !ok {
		pos = f.pos.trainer
	}
	return &Error{File: f.Path, Pos: pos, Where: "trainer." + key, Msg: fmt.Sprintf(format, args...)}
}

// MetricError makes an error about the objective's metric, placed at it.
func (f *File) MetricError(format string, args ...any) error {
	return &Error{File: f.Path, Pos: f.pos.metric, Where: "objective.metric", Msg: fmt.Sprintf(format, args...)}
}

// ParamError makes an error about a parameter, placed at its definition.
func (f *File) ParamError(name string, format string, args ...any) error {
	pos, ok := f.pos.params[name]
	if !ok {
		pos = f.pos.trainer
	}
	return &Error{File: f.Path, Pos: pos, Where: fmt.Sprintf("parameter %q", name), Msg: fmt.Sprintf(format, args...)}
}

// TrainerError makes an error about a setting of the study that the
// trainer cannot work with (where: "resource", say), placed at the
// trainer section.
func (f *File) TrainerError(where string, format string, args ...any) error {
	return &Error{File: f.Path, Pos: f.pos.trainer, Where: where, Msg: fmt.Sprintf(format, args...)}
}
