package control

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"automl/scheduler"
	"automl/spacefile"
	"automl/trial"
)

// apply carries out a budget, enqueue or retry request on e. live: a
// scheduler runs the study, so reruns happen now; else they wait in the
// record. A request that fails leaves e's record as it was.
func apply(e *scheduler.Edit, req Request, live bool) (Reply, error) {
	var rep Reply
	var err error
	switch req.Op {
	case "budget":
		rep.Done, err = budget(e, req)
	case "enqueue":
		rep.Done, rep.Queued, err = enqueue(e, req)
	case "retry":
		if rep.Rerun, err = reruns(e, req); err != nil {
			break
		}
		if len(rep.Rerun) == 0 {
			rep.Done = []string{fmt.Sprintf("nothing to rerun: study %s has no %s trial", e.Study.Name, strings.Join(statesOf(req), " or "))}
			break
		}
		what := "rerun trial(s) " + joinIDs(rep.Rerun)
		note(e, "retry", req, what)
		if live {
			e.Rerun, e.Note = rep.Rerun, "rerun by "+orUser(req.By)+" (automl retry)"
			rep.Done = []string{what + ": each runs again now, as a new attempt with the same parameters"}
			break
		}
		for _, id := range rep.Rerun {
			if !slices.Contains(e.Study.Rerun, id) {
				e.Study.Rerun = append(e.Study.Rerun, id)
			}
		}
		rep.Done = []string{what + ": each runs again, as a new attempt with the same parameters, when automl search continues the study"}
	default:
		err = badRequest("unknown request %q (stop, budget, enqueue or retry)", req.Op)
	}
	return rep, err
}

func orUser(by string) string {
	if by == "" {
		return "the user"
	}
	return by
}

// budget sets or raises the trial budget and the timeout, checking both
// before it changes either.
func budget(e *scheduler.Edit, req Request) ([]string, error) {
	if req.Trials < 0 || req.Timeout < 0 || (req.Trials == 0 && req.Timeout == 0) {
		return nil, badRequest("give a trial budget (N, or +N to add N) or a timeout (D, or +D to add D)")
	}
	n, d := e.Study.Trials, e.Study.Timeout
	var err error
	if req.Trials > 0 {
		if n, err = trials(e, req.Trials, req.AddTrials, fmt.Sprintf("--trials %s%d", plus(req.AddTrials), req.Trials)); err != nil {
			return nil, err
		}
	}
	if req.Timeout > 0 {
		if d, err = timeout(e, req.Timeout, req.AddTimeout, fmt.Sprintf("--timeout %s%s", plus(req.AddTimeout), req.Timeout)); err != nil {
			return nil, err
		}
	}
	var done []string
	if n != e.Study.Trials {
		done = append(done, "budget: "+setTrials(e, n, req))
	}
	if d != e.Study.Timeout {
		done = append(done, "budget: "+setTimeout(e, d, req))
	}
	if len(done) == 0 {
		done = []string{fmt.Sprintf("budget: unchanged (%s trials, timeout %s)", countText(n), timeoutText(d))}
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
func trials(e *scheduler.Edit, n int, add bool, asked string) (int, error) {
	if add {
		base := e.Study.Trials
		if base == 0 {
			base = e.Counted
		}
		n += base
	}
	switch {
	case n > spacefile.MaxTrials:
		return 0, badRequest("%s makes a budget of %d trials; at most %d (a billion)", asked, n, spacefile.MaxTrials)
	case n < e.Counted:
		return 0, badRequest("%s is below the %d trials study %s already has (%s); give %d or more, or +N to add N", asked, e.Counted, e.Study.Name, countsText(e.Counts), e.Counted)
	}
	return n, nil
}

// timeout is the time budget d asks for, which must leave time to run.
func timeout(e *scheduler.Edit, d time.Duration, add bool, asked string) (time.Duration, error) {
	if add {
		base := e.Study.Timeout
		if base == 0 {
			base = e.Elapsed
		}
		d += base
	}
	switch {
	case d > spacefile.MaxTimeout:
		return 0, badRequest("%s makes a time budget of %s; at most %dh (a year)", asked, d, int(spacefile.MaxTimeout.Hours()))
	case d <= e.Elapsed:
		return 0, badRequest("%s is no more than the %s study %s has run already; give more, or +D to add D", asked, e.Elapsed.Round(100*time.Millisecond), e.Study.Name)
	}
	return d, nil
}

func setTrials(e *scheduler.Edit, n int, req Request) string {
	what := fmt.Sprintf("trials %s -> %s", countText(e.Study.Trials), countText(n))
	e.Study.Trials = n
	note(e, "budget", req, what)
	return what
}

func setTimeout(e *scheduler.Edit, d time.Duration, req Request) string {
	what := fmt.Sprintf("timeout %s -> %s", timeoutText(e.Study.Timeout), timeoutText(d))
	e.Study.Timeout = d
	note(e, "budget", req, what)
	return what
}

func countText(n int) string {
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

// keepHistory bounds a study's history: its record is written with every
// commit.
const keepHistory = 256

// note adds an entry to the study's history (the latest 256 are kept).
func note(e *scheduler.Edit, op string, req Request, what string) {
	st := e.Study
	st.History = append(st.History, scheduler.HistoryEntry{Time: e.Now, By: req.By, Op: op, Command: req.Command, What: what})
	if n := len(st.History); n > keepHistory {
		st.History = append(st.History[:0], st.History[n-keepHistory:]...)
	}
}

// enqueue reads the request's points file against the study's space and
// queues its configurations.
func enqueue(e *scheduler.Edit, req Request) ([]string, int, error) {
	pts, err := e.File.ReadPoints(req.File, req.Data)
	if err != nil {
		return nil, 0, badRequest("%v", err)
	}
	st := e.Study
	if n := len(st.Queue) + len(pts); n > spacefile.MaxPoints {
		return nil, 0, badRequest("study %s has %d configurations waiting, and %d more make more than %d: enqueue them once some have run", st.Name, len(st.Queue), len(pts), spacefile.MaxPoints)
	}
	for _, p := range pts {
		st.Queue = append(st.Queue, scheduler.Queued{Params: p.Values, Source: p.Source, By: req.By, Time: e.Now})
	}
	what := fmt.Sprintf("queued %d configuration(s) from %s", len(pts), req.File)
	note(e, "enqueue", req, what)
	done := []string{what + "; they run before the algorithm's own"}
	if room := max(st.Trials-e.Counted, 0); st.Trials > 0 && len(st.Queue) > room {
		done = append(done, fmt.Sprintf("the trial budget (%d) has room for %d more trial(s) and %d configuration(s) wait: raise it to run them all (automl budget %s --trials +%d)",
			st.Trials, room, len(st.Queue), st.Name, len(st.Queue)-room))
	}
	return done, len(pts), nil
}

// reruns picks the trials a retry request reruns: the ids given, each of
// which must have failed or been stopped, or every trial in the states
// asked for (default: failed).
func reruns(e *scheduler.Edit, req Request) ([]int, error) {
	var ids []int
	for _, id := range req.IDs {
		i := slices.IndexFunc(e.Trials, func(r *trial.Record) bool { return r.ID == id })
		switch {
		case i < 0:
			return nil, badRequest("study %s has no trial %d", e.Study.Name, id)
		case e.Trials[i].State != trial.Failed && e.Trials[i].State != trial.Stopped:
			return nil, badRequest("trial %d is %s: retry reruns failed and stopped trials (to run its configuration again as a new trial, automl enqueue it)", id, e.Trials[i].State)
		}
		ids = append(ids, id)
	}
	if len(req.IDs) > 0 {
		return ids, nil
	}
	states := statesOf(req)
	for _, s := range states {
		if s != "failed" && s != "lost" && s != "stopped" {
			return nil, badRequest("--state %q: retry reruns failed, lost or stopped trials", s)
		}
	}
	for _, r := range e.Trials {
		if (slices.Contains(states, "failed") && r.State == trial.Failed) || (slices.Contains(states, "lost") && lostOut(r)) ||
			(slices.Contains(states, "stopped") && r.State == trial.Stopped) {
			ids = append(ids, r.ID)
		}
	}
	return ids, nil
}

func statesOf(req Request) []string {
	if len(req.States) == 0 {
		return []string{"failed"}
	}
	return req.States
}

// lostOut reports whether a trial failed because its runs were lost (out
// of budget.max_lost: trial.Decide's "lost N times"), not its code.
func lostOut(r *trial.Record) bool {
	return r.State == trial.Failed && r.Lost > 0 && strings.HasPrefix(r.Error, "lost ")
}

func joinIDs(ids []int) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = fmt.Sprint(id)
	}
	return strings.Join(s, ", ")
}
