// Package trial defines what a trial is and how one runs: its identity
// (Key), the job a worker receives (Spec, with the study's Objective and
// Trainer settings), its lifecycle (State and the legal transitions), how a
// run ends (Outcome, Result), what workers tell the scheduler (Event), the
// stored record (Record), the Runner and Reporter interfaces that trainers,
// plugin clients and fakes implement, and the exit policy every dispatcher
// and the scheduler share (exit.go: Ended.Classify and Decide).
package trial

import (
	"context"
	"errors"
	"fmt"
	"time"

	"automl/search/value"
)

// Key identifies one attempt of one trial of one study. The attempt grows
// each time the scheduler dispatches the trial again (a retry, a resume
// after a crash, a promotion), so events of a superseded attempt are
// recognised and dropped. Incarnation tells studies of the same name apart
// (one made when the study's record is created): nothing of an earlier
// study of that name is ever taken for this one's.
type Key struct {
	Study       string `json:"study"`
	Incarnation string `json:"incarnation,omitempty"`
	ID          int    `json:"id"`
	Attempt     int    `json:"attempt"`
}

func (k Key) String() string { return fmt.Sprintf("%s/%d/%d", k.Study, k.ID, k.Attempt) }

// Trainer says what runs a trial and where: the space file's trainer
// section as every job carries it. Optional settings are nil (or zero)
// when unset.
type Trainer struct {
	// Plugin is a built-in trainer name (mlp, exec, funcs) or a path to a
	// plugin binary.
	Plugin string `json:"plugin"`
	// Config is passed to the trainer as is (decoded YAML: maps, lists, scalars).
	Config map[string]any `json:"config,omitempty"`
	// Reuse keeps a slot's plugin process alive across trials (nil: the
	// default, on for built-in trainers, off for plugin binaries).
	Reuse *bool `json:"reuse,omitempty"`
	// Prelaunch: nil or true lets a slot launch the next trial's process
	// early when processes are not reused; false for a plugin that takes
	// GPU memory before it serves.
	Prelaunch *bool `json:"prelaunch,omitempty"`
	// SHA256 pins the plugin binary's checksum.
	SHA256 string `json:"sha256,omitempty"`
	// Timeout bounds one run (0: none).
	Timeout time.Duration `json:"timeout,omitempty"`
	// ProgressTimeout is how long a run may go without a report before
	// its worker stops it and the run counts as lost (0: 30 minutes; see
	// ProgressLimit).
	ProgressTimeout time.Duration `json:"progress_timeout,omitempty"`
	// Pool targets the workers of one pool ("": DefaultPool).
	Pool string `json:"pool,omitempty"`
	// LogLimit is how much of each attempt's log is kept, in bytes: the
	// most recent lines (0: triallog.DefaultLimit).
	LogLimit int64 `json:"log_limit,omitempty"`
}

// DefaultPool is the pool of a trainer that names none.
const DefaultPool = "default"

// defaultProgressTimeout is the progress timeout of a trainer that sets
// none: generous, so that only a trainer that is stuck (stopped, deadlocked,
// waiting on a dead file system) reaches it, never one that is slow.
const defaultProgressTimeout = 30 * time.Minute

// ProgressLimit is how long a run of this trainer may go without a report
// (counted from the start of the run and from each report) before the
// worker stops it as stalled: ProgressTimeout, or 30 minutes when unset.
func (t Trainer) ProgressLimit() time.Duration {
	if t.ProgressTimeout > 0 {
		return t.ProgressTimeout
	}
	return defaultProgressTimeout
}

// PoolName is the pool the trainer's jobs go to.
func (t Trainer) PoolName() string {
	if t.Pool == "" {
		return DefaultPool
	}
	return t.Pool
}

// Spec is a job: everything a worker needs to run one attempt. It travels
// as JSON, so it holds plain data only.
type Spec struct {
	Key       Key          `json:"key"`
	Params    value.Values `json:"params"`
	Trainer   Trainer      `json:"trainer"`
	Objective Objective    `json:"objective"`
	// Resource names the fidelity (epochs); From and To bound this job's
	// training in that unit. To == 0 means the trainer's own full budget.
	Resource string  `json:"resource,omitempty"`
	From     float64 `json:"from,omitempty"`
	To       float64 `json:"to,omitempty"`
	// MaxResource is the trial's full budget when the study's algorithm
	// sets one (max_resource), so a trainer can fit its schedules (a cosine
	// learning rate, say) to the whole run, not to one span.
	MaxResource float64 `json:"max_resource,omitempty"`
	// Checkpoint names the stored checkpoint to resume from (empty: start fresh).
	Checkpoint string `json:"checkpoint,omitempty"`
	// CheckpointDir is a local directory, set by the worker (never by the
	// scheduler), where the trainer finds the checkpoint to resume from (when
	// From > 0) and saves its own; the worker moves its contents to and from
	// shared storage, so any worker can resume any trial.
	CheckpointDir string `json:"checkpoint_dir,omitempty"`
	// Seed for the trainer's own randomness (derived from the study seed and the trial id).
	Seed uint64 `json:"seed"`
	// Lease is the job's lease token, set by a dispatcher that signs its
	// jobs (backends/natsbus): the worker returns it in every event of the
	// job, and the scheduler's side applies no event without it.
	Lease string `json:"lease,omitempty"`
}

// MaxSpecBytes bounds a job as it travels (JSON): parameters and trainer
// config belong in it, blobs do not. A space file whose jobs could exceed
// it is refused when it is read.
const MaxSpecBytes = 256 << 10

// Validate checks what a worker relies on before running a spec.
func (s *Spec) Validate() error {
	switch {
	case s.Key.Study == "":
		return errors.New("spec: no study")
	case s.Key.ID < 0:
		return fmt.Errorf("spec %v: negative trial id", s.Key)
	case s.Trainer.Plugin == "":
		return fmt.Errorf("spec %v: no trainer plugin", s.Key)
	case s.To != 0 && s.To < s.From:
		return fmt.Errorf("spec %v: resource to %v < from %v", s.Key, s.To, s.From)
	}
	return nil
}

// Directive is the scheduler's answer to a report.
type Directive uint8

const (
	// Continue training.
	Continue Directive = iota
	// Stop training now: the trial is pruned (or aborted); return promptly.
	Stop
)

// Reporter receives a running trial's intermediate metrics. Report may be
// called from one goroutine at a time; the step is in the study's resource
// unit (an epoch number, say) and grows monotonically.
type Reporter interface {
	Report(ctx context.Context, step float64, metrics Metrics) (Directive, error)
}

// Runner runs one attempt of a trial. It returns when training ends, is
// stopped (ctx cancelled or a Stop directive), or fails. A returned error
// fails the trial with that message; wrap ErrLost for failures of the
// infrastructure rather than of the training code (they are retried
// without counting against the trial's failure budget).
type Runner interface {
	Run(ctx context.Context, spec Spec, rep Reporter) (Result, error)
}

// RunnerFunc adapts a function to Runner.
type RunnerFunc func(ctx context.Context, spec Spec, rep Reporter) (Result, error)

func (f RunnerFunc) Run(ctx context.Context, spec Spec, rep Reporter) (Result, error) {
	return f(ctx, spec, rep)
}

// ErrLost marks an infrastructure failure: a worker died or was preempted,
// a plugin process could not start. The trial is retried without counting
// against its failure budget.
var ErrLost = errors.New("lost")

// ErrNoMetrics is a run that ended without reporting any metric.
var ErrNoMetrics = errors.New("no metrics")
