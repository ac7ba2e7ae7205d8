package scheduler

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"automl/spacefile"
	"automl/trial"
)

// ControlRequest is a user's change to a study: stop trials or the study
// (automl stop), change its budget (automl budget, automl search
// --trials), queue configurations (automl enqueue), rerun trials (automl
// retry). A running study takes it through its scheduler (Control; the
// command reaches it over NATS); a study no scheduler runs takes it in its
// stored record (Amend), and its next run carries it out. Either way the
// change is committed with an entry in the study's history. It travels as
// JSON.
type ControlRequest struct {
	Op string `json:"op"` // stop, budget, enqueue, retry
	// IDs are the trials to stop or rerun (stop: none stops the whole
	// study); Reason is the stopped trials' note.
	IDs    []int  `json:"ids,omitempty"`
	Reason string `json:"reason,omitempty"`
	// States picks the trials to rerun when IDs is empty: failed (every
	// failed trial), lost (those failed because their runs were lost),
	// stopped. Default: failed.
	States []string `json:"states,omitempty"`
	// The trial budget (Trials > 0) and the time budget (Timeout > 0): set
	// to it, or raised by it (AddTrials, AddTimeout).
	Trials     int           `json:"trials,omitempty"`
	AddTrials  bool          `json:"add_trials,omitempty"`
	Timeout    time.Duration `json:"timeout,omitempty"`
	AddTimeout bool          `json:"add_timeout,omitempty"`
	// File and Data are a points file to enqueue (spacefile.ReadPoints),
	// read where the study's space is known.
	File string `json:"file,omitempty"`
	Data []byte `json:"data,omitempty"`
	// By is who asks (user@host) and Command what they typed (without
	// secrets), for the study's history.
	By      string `json:"by,omitempty"`
	Command string `json:"command,omitempty"`
}

// ControlReply says what a request did.
type ControlReply struct {
	// Stop is what a stop did, trial by trial.
	Stop StopResult `json:"stop"`
	// Done says what changed, a line per change, for people.
	Done []string `json:"done,omitempty"`
	// Rerun are the trials that run again (or will, at the next run).
	Rerun []int `json:"rerun,omitempty"`
	// Queued is how many configurations the request queued.
	Queued int `json:"queued,omitempty"`
}

// ErrBadRequest marks a request that cannot be carried out as asked (a
// budget below what the study has used, a trial that cannot be rerun, a
// points file with mistakes): the error says what would be right.
var ErrBadRequest = errors.New("bad request")

type requestError struct{ msg string }

func (e *requestError) Error() string        { return e.msg }
func (e *requestError) Is(target error) bool { return target == ErrBadRequest }

func badRequest(format string, args ...any) error {
	return &requestError{fmt.Sprintf(format, args...)}
}

// amendment is a change being made to a study, by its running scheduler
// or to its stored record: what the rules of a change need to know.
type amendment struct {
	study   *Study
	file    *spacefile.File // the study's space, for points
	records []*trial.Record // in id order
	counted int             // trials that count against the trial budget
	counts  map[trial.State]int
	elapsed time.Duration
	now     time.Time
}

// budget sets or raises the trial budget and the timeout.
func (a *amendment) budget(req ControlRequest) ([]string, error) {
	if req.Trials < 0 || req.Timeout < 0 || (req.Trials == 0 && req.Timeout == 0) {
		return nil, badRequest("give a trial budget (N or +N) or a timeout (D or +D)")
	}
	var done []string
	if req.Trials > 0 {
		n, err := a.trials(req.Trials, req.AddTrials, "--trials "+plus(req.AddTrials)+fmt.Sprint(req.Trials))
		if err != nil {
			return nil, err
		}
		done = append(done, a.setTrials(n, req))
	}
	if req.Timeout > 0 {
		d, err := a.timeout(req.Timeout, req.AddTimeout, "--timeout "+plus(req.AddTimeout)+req.Timeout.String())
		if err != nil {
			return nil, err
		}
		done = append(done, a.setTimeout(d, req))
	}
	return done, nil
}

func plus(add bool) string {
	if add {
		return "+"
	}
	return ""
}

// trials is the trial budget n asks for (added to the one in force, or
// to the trials counted when there is none): never below what the study
// already counts.
func (a *amendment) trials(n int, add bool, asked string) (int, error) {
	if add {
		base := a.study.Trials
		if base == 0 {
			base = a.counted
		}
		n += base
	}
	switch {
	case n > spacefile.MaxTrials:
		return 0, badRequest("%s makes a budget of %d trials; at most %d (a billion)", asked, n, spacefile.MaxTrials)
	case n < a.counted:
		return 0, badRequest("%s is below the %d trials study %s already has (%s); give %d or more, or +N to add N", asked, a.counted, a.study.Name, countsText(a.counts), a.counted)
	}
	return n, nil
}

// timeout is the time budget d asks for, which must leave time to run.
func (a *amendment) timeout(d time.Duration, add bool, asked string) (time.Duration, error) {
	if add {
		base := a.study.Timeout
		if base == 0 {
			base = a.elapsed
		}
		d += base
	}
	switch {
	case d > spacefile.MaxTimeout:
		return 0, badRequest("%s makes a time budget of %s; at most %dh (a year)", asked, d, int(spacefile.MaxTimeout.Hours()))
	case d <= a.elapsed:
		return 0, badRequest("%s is no more than the %s study %s has run already; give more, or +D to add D", asked, a.elapsed.Round(time.Second), a.study.Name)
	}
	return d, nil
}

func (a *amendment) setTrials(n int, req ControlRequest) string {
	what := fmt.Sprintf("trials %s -> %d", budgetText(a.study.Trials), n)
	a.study.Trials = n
	a.note("budget", req, what)
	return "budget: " + what
}

func (a *amendment) setTimeout(d time.Duration, req ControlRequest) string {
	what := fmt.Sprintf("timeout %s -> %s", timeoutText(a.study.Timeout), d)
	a.study.Timeout = d
	a.note("budget", req, what)
	return "budget: " + what
}

func budgetText(n int) string {
	if n == 0 {
		return "none"
	}
	return fmt.Sprint(n)
}

func timeoutText(d time.Duration) string {
	if d == 0 {
		return "none"
	}
	return d.String()
}

// countsText is "142 completed, 3 running, 5 pending".
func countsText(c map[trial.State]int) string {
	var parts []string
	for _, st := range []trial.State{trial.Completed, trial.Running, trial.Pending, trial.Paused, trial.Pruned, trial.Stopped, trial.Failed} {
		if c[st] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c[st], st))
		}
	}
	if len(parts) == 0 {
		return "none yet"
	}
	return strings.Join(parts, ", ")
}

// note adds an entry to the study's history (the latest 256 are kept).
func (a *amendment) note(op string, req ControlRequest, what string) {
	const keep = 256
	st := a.study
	st.History = append(st.History, HistoryEntry{Time: a.now, By: req.By, Op: op, Command: req.Command, What: what})
	if n := len(st.History); n > keep {
		st.History = append(st.History[:0], st.History[n-keep:]...)
	}
}

// enqueue reads the request's points file against the study's space and
// queues its configurations.
func (a *amendment) enqueue(req ControlRequest) ([]string, int, error) {
	pts, err := a.file.ReadPoints(req.File, req.Data)
	if err != nil {
		return nil, 0, badRequest("%v", err)
	}
	if n := len(a.study.Queue) + len(pts); n > spacefile.MaxPoints {
		return nil, 0, badRequest("study %s has %d configurations waiting; %d more make more than %d: enqueue them once some have run", a.study.Name, len(a.study.Queue), len(pts), spacefile.MaxPoints)
	}
	for _, p := range pts {
		a.study.Queue = append(a.study.Queue, Queued{Params: p.Values, Source: p.Source, By: req.By, Time: a.now})
	}
	what := fmt.Sprintf("queued %d configuration(s) from %s", len(pts), req.File)
	a.note("enqueue", req, what)
	done := []string{what + "; they run before the algorithm's own"}
	if room := a.study.Trials - a.counted; a.study.Trials > 0 && len(a.study.Queue) > room {
		done = append(done, fmt.Sprintf("the trial budget (%d) has room for %d more trial(s) and %d configuration(s) wait: raise it to run them all (automl budget %s --trials +%d)",
			a.study.Trials, max(room, 0), len(a.study.Queue), a.study.Name, len(a.study.Queue)-max(room, 0)))
	}
	return done, len(pts), nil
}

// reruns picks the trials a retry request reruns: the ids given, each of
// which must have failed or been stopped, or every trial in the states
// asked for (default: failed).
func (a *amendment) reruns(req ControlRequest) ([]int, error) {
	byID := map[int]*trial.Record{}
	for _, r := range a.records {
		byID[r.ID] = r
	}
	var ids []int
	for _, id := range req.IDs {
		r, ok := byID[id]
		switch {
		case !ok:
			return nil, badRequest("study %s has no trial %d", a.study.Name, id)
		case !rerunnable(r.State):
			return nil, badRequest("trial %d is %s: retry reruns failed and stopped trials (to run its configuration again as a new trial, automl enqueue it)", id, r.State)
		}
		ids = append(ids, id)
	}
	if len(req.IDs) > 0 {
		return ids, nil
	}
	states := req.States
	if len(states) == 0 {
		states = []string{"failed"}
	}
	for _, s := range states {
		if s != "failed" && s != "lost" && s != "stopped" {
			return nil, badRequest("--state %q: retry reruns failed, lost or stopped trials", s)
		}
	}
	for _, r := range a.records {
		if (slices.Contains(states, "failed") && r.State == trial.Failed) || (slices.Contains(states, "lost") && lostOut(r)) ||
			(slices.Contains(states, "stopped") && r.State == trial.Stopped) {
			ids = append(ids, r.ID)
		}
	}
	return ids, nil
}

// Amend applies a request to a stored study that no scheduler runs: st's
// Study record is changed in place, to be committed by the caller
// (Change{Study: st.Study}); reruns and queued configurations wait in it
// for the next run. file is the study's space (its stored space file), for
// points to enqueue. A stop is refused: nothing runs to stop.
func Amend(st *StudyState, file *spacefile.File, req ControlRequest, now time.Time) (ControlReply, error) {
	a := &amendment{study: st.Study, file: file, counts: map[trial.State]int{}, elapsed: st.Study.Elapsed, now: now}
	countFailed := file != nil && file.Budget.CountFailed
	for i := range st.Trials {
		r := &st.Trials[i]
		a.records = append(a.records, r)
		a.counts[r.State]++
		if countFailed || r.State != trial.Failed {
			a.counted++
		}
	}
	var rep ControlReply
	var err error
	switch req.Op {
	case "budget":
		rep.Done, err = a.budget(req)
	case "enqueue":
		rep.Done, rep.Queued, err = a.enqueue(req)
	case "retry":
		var ids []int
		if ids, err = a.reruns(req); err != nil || len(ids) == 0 {
			break
		}
		for _, id := range ids {
			if !slices.Contains(st.Study.Rerun, id) {
				st.Study.Rerun = append(st.Study.Rerun, id)
			}
		}
		rep.Rerun = ids
		what := "trial(s) " + joinIDs(ids) + " to rerun"
		a.note("retry", req, what)
		rep.Done = []string{what + " at the next automl search of the study"}
	case "stop":
		err = badRequest("no scheduler runs study %s: nothing to stop", st.Study.Name)
	default:
		err = badRequest("unknown request %q", req.Op)
	}
	if err == nil {
		st.Study.Updated = now
	}
	return rep, err
}

func joinIDs(ids []int) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = fmt.Sprint(id)
	}
	return strings.Join(s, ", ")
}
