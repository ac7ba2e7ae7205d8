package trial

import (
	"fmt"
)

// State is where a trial is in its lifecycle.
type State uint8

const (
	// Pending: created and committed; queued for a worker.
	Pending State = iota + 1
	// Running: a worker started it.
	Running
	// Paused: it reached a rung (its job's To) and waits for a promotion;
	// its checkpoint is kept.
	Paused
	// Completed: it finished with a result (terminal).
	Completed
	// Failed: its code failed, or it ran out of attempts (terminal).
	Failed
	// Pruned: a searcher stopped it early (terminal).
	Pruned
	// Stopped: a user aborted it, or the study ended under it (terminal).
	Stopped
	// Imported: a result brought in from another study or an export
	// (automl import, warm_start), never run here: the algorithms learn
	// from it, the budget does not count it, nothing dispatches it
	// (terminal from the start: no transition leads to it or from it).
	Imported
)

var stateNames = [...]string{"", "pending", "running", "paused", "completed", "failed", "pruned", "stopped", "imported"}

func (s State) String() string {
	if int(s) < len(stateNames) && s != 0 {
		return stateNames[s]
	}
	return fmt.Sprintf("state(%d)", s)
}

// ParseState reads a state name.
func ParseState(name string) (State, error) {
	for i, n := range stateNames {
		if n == name && i > 0 {
			return State(i), nil
		}
	}
	return 0, fmt.Errorf("unknown trial state %q", name)
}

func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

func (s *State) UnmarshalText(b []byte) error {
	v, err := ParseState(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Terminal reports whether no transition leaves the state.
func (s State) Terminal() bool {
	return s == Completed || s == Failed || s == Pruned || s == Stopped || s == Imported
}

// legal lists the transitions a trial may take.
//
//	pending -> running              a worker started it
//	pending -> failed|stopped|pruned  poison spec / out of deliveries, user abort, searcher stop
//	running -> completed|failed|pruned|stopped|paused
//	running -> pending              lost: requeued for another attempt
//	paused  -> pending              promoted: a new job resumes from its checkpoint
//	paused  -> completed|stopped    the study ended with it at a rung, or a user abort
var legal = map[State][]State{
	Pending: {Running, Failed, Stopped, Pruned},
	Running: {Completed, Failed, Pruned, Stopped, Paused, Pending},
	Paused:  {Pending, Completed, Stopped},
}

// canTransition reports whether from -> to is legal.
func canTransition(from, to State) bool {
	for _, s := range legal[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Transition returns an error for an illegal transition.
func Transition(from, to State) error {
	if !canTransition(from, to) {
		return fmt.Errorf("illegal trial transition %s -> %s", from, to)
	}
	return nil
}

// Outcome is how one attempt ended.
type Outcome uint8

const (
	// ExitDone: trained to the end of its span with a result.
	ExitDone Outcome = iota + 1
	// ExitCrashed: the training code failed (non-zero exit, panic, NaN
	// loss); counts against the trial's failure budget.
	ExitCrashed
	// ExitPruned: stopped by a Stop directive from the searcher.
	ExitPruned
	// ExitAborted: stopped by the user or by the study ending.
	ExitAborted
	// ExitLost: the infrastructure failed (worker died, preempted, plugin
	// could not start); retried without counting against the failure budget.
	ExitLost
	// ExitPaused: reached its span's end below the full budget and saved a
	// checkpoint; a promotion resumes it.
	ExitPaused
)

var outcomeNames = [...]string{"", "done", "crashed", "pruned", "aborted", "lost", "paused"}

func (o Outcome) String() string {
	if int(o) < len(outcomeNames) && o != 0 {
		return outcomeNames[o]
	}
	return fmt.Sprintf("outcome(%d)", o)
}

func (o Outcome) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

func (o *Outcome) UnmarshalText(b []byte) error {
	for i, n := range outcomeNames {
		if n == string(b) && i > 0 {
			*o = Outcome(i)
			return nil
		}
	}
	return fmt.Errorf("unknown outcome %q", b)
}
