package scheduler

import (
	"context"
	"errors"
	"time"

	"automl/search/value"
	"automl/trial"
	"automl/trial/goal"
	"automl/trial/triallog"
)

// Study is a study's stored configuration: the space file as written and
// what the scheduler decided when it created the study (the seed) or was
// told since (a raised trial budget).
type Study struct {
	Name string `json:"name"`
	// Incarnation tells this study apart from others of the same name
	// (another study file, or one deleted and started again): made when
	// the record is created, it is in every job and event of the study.
	Incarnation string `json:"incarnation,omitempty"`
	// SpaceFile is the path the space was read from; SpaceText its contents.
	SpaceFile string `json:"space_file"`
	SpaceText []byte `json:"space_text"`
	// SpaceVersions are the versions of the space once it has been edited
	// (Config.AllowSpaceChange), oldest first, the current one last without
	// its text (SpaceText); none while it never was. See Versions.
	SpaceVersions []SpaceVersion `json:"space_versions,omitempty"`
	// The objective and the algorithm's name: copied from the space file so
	// listings need not parse it.
	trial.Objective
	// Objectives are all of a study's objectives when it has several (the
	// first is also Objective), nil for one; Constraints bound reported
	// metrics. A study stored before either existed has neither. See Goals.
	Objectives  []trial.Objective `json:"objectives,omitempty"`
	Constraints []goal.Constraint `json:"constraints,omitempty"`
	Algorithm   string            `json:"algorithm"`
	// Seed of the study's rng (from the file, --seed, or chosen at creation).
	Seed uint64 `json:"seed"`
	// Trials is the trial budget in force (the file's, or --trials); 0: none.
	Trials int `json:"trials,omitempty"`
	// Timeout is the wall-time budget over all runs; Elapsed is what runs used so far.
	Timeout time.Duration `json:"timeout,omitempty"`
	Elapsed time.Duration `json:"elapsed,omitempty"`
	// FileTrials and FileTimeout are the space file's trial budget and
	// timeout when the budget was last settled (automl search): the
	// file's value applies again only once it changes, so a budget raised
	// since (automl budget, --trials +N) stays. Nil: not recorded (a study
	// stored before they were).
	FileTrials  *int           `json:"file_trials,omitempty"`
	FileTimeout *time.Duration `json:"file_timeout,omitempty"`
	// Queue are the configurations waiting to run before the algorithm's
	// own (automl enqueue, the space file's enqueue:), in order.
	Queue []Queued `json:"queue,omitempty"`
	// Rerun are the trials a user asked to run again (automl retry) while
	// no scheduler ran the study: the next run reruns them first.
	Rerun []int `json:"rerun,omitempty"`
	// History is what users changed in the study since it was created
	// (budgets, enqueued configurations, retries, stops), oldest first: at
	// most the latest 256.
	History []HistoryEntry `json:"history,omitempty"`
	// Slots is the parallelism of the last run (for reports).
	Slots   int         `json:"slots,omitempty"`
	Status  StudyStatus `json:"status"`
	Reason  string      `json:"reason,omitempty"`
	Created time.Time   `json:"created"`
	Updated time.Time   `json:"updated"`
}

// Goals are the study's objectives and constraints.
func (s *Study) Goals() goal.Set { return goal.Of(s.Objective, s.Objectives, s.Constraints) }

// Queued is a configuration waiting to run before the algorithm's own.
type Queued struct {
	Params value.Values `json:"params"`
	// Source is where it was written (points.csv:3); By who queued it
	// (user@host), and when.
	Source string    `json:"source,omitempty"`
	By     string    `json:"by,omitempty"`
	Time   time.Time `json:"time"`
}

// HistoryEntry is one change a user made to a study: when, by whom
// (user@host), with which command, and what it changed, in words.
type HistoryEntry struct {
	Time    time.Time `json:"time"`
	By      string    `json:"by,omitempty"`
	Op      string    `json:"op"` // budget, enqueue, retry, stop
	Command string    `json:"command"`
	What    string    `json:"what"`
}

// StudyStatus is where a study stands.
type StudyStatus string

const (
	// StudyRunning: a scheduler is (or was, until it died) running it.
	StudyRunning StudyStatus = "running"
	// StudyInterrupted: stopped by the user before its budget; resumable.
	StudyInterrupted StudyStatus = "interrupted"
	// StudyDone: budget used, space exhausted or searcher finished.
	StudyDone StudyStatus = "done"
	// StudyFailed: a failure budget ended it (max_failed, fail_fast), or
	// it ended without a completed trial.
	StudyFailed StudyStatus = "failed"
)

// Snapshot is the searcher's and the scheduler's policy state, committed
// with the trial records of the same step so a crash leaves both or neither.
type Snapshot struct {
	Version  int    `json:"version"`
	Searcher []byte `json:"searcher,omitempty"`
	Rng      []byte `json:"rng,omitempty"`
	NextID   int    `json:"next_id"`
}

// SnapshotVersion is the version of Snapshot this code writes.
const SnapshotVersion = 1

// Report is one intermediate report of a trial.
type Report struct {
	ID      int           `json:"id"`
	Attempt int           `json:"attempt"`
	Step    float64       `json:"step"`
	Metrics trial.Metrics `json:"metrics"`
	Time    time.Time     `json:"time"`
}

// StudyState is everything stored about a study. Study is nil when the
// study does not exist yet.
type StudyState struct {
	Study    *Study
	Snapshot Snapshot
	// Trials in id order.
	Trials []trial.Record
}

// Change is one scheduler step's writes, committed atomically.
type Change struct {
	Study    *Study
	Snapshot *Snapshot
	Trials   []trial.Record // upserts by id
	Reports  []Report       // upserts by (id, step)
	// Logs are lines of trainer logs, each kept by triallog.Keep.
	Logs []triallog.Part
}

// Empty reports whether the change writes nothing.
func (c *Change) Empty() bool {
	return c.Study == nil && c.Snapshot == nil && len(c.Trials) == 0 && len(c.Reports) == 0 && len(c.Logs) == 0
}

// StudyInfo summarises a study for listings.
type StudyInfo struct {
	Study
	Counts map[trial.State]int `json:"counts"`
	// Best is the best completed trial's id and value, when HasBest.
	BestID  int     `json:"best_id,omitempty"`
	Best    float64 `json:"best,omitempty"`
	HasBest bool    `json:"has_best"`
}

// Reader reads studies: what reports, listings and the dashboard use. It
// sees committed state only, and is safe for concurrent use.
type Reader interface {
	Load(ctx context.Context, study string) (StudyState, error)
	Studies(ctx context.Context) ([]StudyInfo, error)
	// Reports returns a trial's intermediate reports in step order.
	Reports(ctx context.Context, study string, id int) ([]Report, error)
	// Log returns what q asks of a trial attempt's log; a trial the
	// study does not have is triallog.ErrNoTrial.
	Log(ctx context.Context, study string, q triallog.Query) (triallog.Log, error)
	Close() error
}

// Store persists studies: a Reader that the scheduler commits its steps
// to. Implementations: backends/bolt (the product), backends/memory
// (tests). Commit is atomic: all of a Change or none of it.
type Store interface {
	Reader
	Commit(ctx context.Context, study string, c Change) error
}

// ErrStudyNotFound is returned by readers asked for a study that does not exist.
var ErrStudyNotFound = errors.New("study not found")
