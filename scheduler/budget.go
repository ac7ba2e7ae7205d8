package scheduler

import (
	"fmt"
	"strings"
	"time"

	"automl/search"
	"automl/search/value"
	"automl/trial"
)

// settleBudget decides the budget a run starts with. The stored budget
// follows the last explicit change: the command line's --trials N or +N
// (--timeout alike) changes it now; otherwise the space file's value
// applies only if the file changed it since the study last ran (so a
// budget raised by automl budget, or by a flag, stays); a new study takes
// the file's. A budget below what the study has already used is refused.
// Every change is an entry in the study's history, and the log says which
// budget applies and why.
func (s *Scheduler) settleBudget(created bool) error {
	st, f, o := s.study, s.cfg.File.Budget, s.cfg.Override
	defer func() {
		ft, fd := f.Trials, f.Timeout
		st.FileTrials, st.FileTimeout = &ft, &fd
	}()
	if created {
		st.Trials = f.Override(o).Trials + s.cfg.AddTrials
		st.Timeout = f.Override(o).Timeout + s.cfg.AddTimeout
		return nil
	}
	a := s.amendment()
	req := func(cmd string) ControlRequest { return ControlRequest{By: s.cfg.By, Command: cmd} }
	const fromFile = " (the space file's, changed since the study last ran)"
	var why []string
	switch {
	case o.Trials > 0 || s.cfg.AddTrials > 0:
		add := s.cfg.AddTrials > 0
		cmd := fmt.Sprintf("--trials %s%d", plus(add), o.Trials+s.cfg.AddTrials)
		n, err := a.trials(o.Trials+s.cfg.AddTrials, add, cmd)
		if err != nil {
			return err
		}
		if n != st.Trials {
			why = append(why, a.setTrials(n, req("automl search "+cmd))+" ("+cmd+")")
		}
	case st.FileTrials != nil && *st.FileTrials != f.Trials && f.Trials != st.Trials:
		if f.Trials > 0 && f.Trials < a.counted {
			return badRequest("the space file's budget.trials %d is below the %d trials study %s already has (%s); raise it, or give --trials", f.Trials, a.counted, st.Name, countsText(a.counts))
		}
		why = append(why, a.setTrials(f.Trials, req("the space file's budget.trials"))+fromFile)
	}
	switch {
	case o.Timeout > 0 || s.cfg.AddTimeout > 0:
		add := s.cfg.AddTimeout > 0
		cmd := fmt.Sprintf("--timeout %s%s", plus(add), o.Timeout+s.cfg.AddTimeout)
		d, err := a.timeout(o.Timeout+s.cfg.AddTimeout, add, cmd)
		if err != nil {
			return err
		}
		if d != st.Timeout {
			why = append(why, a.setTimeout(d, req("automl search "+cmd))+" ("+cmd+")")
		}
	case st.FileTimeout != nil && *st.FileTimeout != f.Timeout && f.Timeout != st.Timeout:
		if f.Timeout > 0 && f.Timeout <= a.elapsed {
			return badRequest("the space file's budget.timeout %s is no more than the %s study %s has run already; raise it, or give --timeout", f.Timeout, a.elapsed.Round(time.Second), st.Name)
		}
		why = append(why, a.setTimeout(f.Timeout, req("the space file's budget.timeout"))+fromFile)
	}
	s.log.Info(s.budgetNote(why))
	return nil
}

// budgetNote says which budget a resumed study runs with, and why:
// changed now, or kept from the last explicit change while the space file
// says otherwise.
func (s *Scheduler) budgetNote(changed []string) string {
	st, f := s.study, s.cfg.File.Budget
	if len(changed) > 0 {
		return strings.Join(changed, "; ")
	}
	var parts []string
	if st.Trials != f.Trials {
		parts = append(parts, fmt.Sprintf("budget: %s trials (%s; the space file says %s)", budgetText(st.Trials), s.lastChange("trials"), budgetText(f.Trials)))
	} else if st.Trials > 0 {
		parts = append(parts, fmt.Sprintf("budget: %d trials (the space file's)", st.Trials))
	}
	if st.Timeout != f.Timeout {
		parts = append(parts, fmt.Sprintf("timeout %s (%s; the space file says %s)", timeoutText(st.Timeout), s.lastChange("timeout"), timeoutText(f.Timeout)))
	}
	if len(parts) == 0 {
		return "budget: none (the study runs until it is stopped)"
	}
	return strings.Join(parts, "; ")
}

// lastChange describes the last recorded change of a budget.
func (s *Scheduler) lastChange(what string) string {
	for i := len(s.study.History) - 1; i >= 0; i-- {
		e := s.study.History[i]
		if e.Op == "budget" && strings.HasPrefix(e.What, what+" ") {
			by := ""
			if e.By != "" {
				by = " by " + e.By
			}
			return fmt.Sprintf("set by %s on %s%s", e.Command, e.Time.Local().Format("2006-01-02 15:04"), by)
		}
	}
	return "kept from the study's last run"
}

// queueFromFile queues the space file's enqueue: configurations: all of
// them when the study is created; on a later run those no trial and no
// queued configuration has yet (the file may have gained some).
func (s *Scheduler) queueFromFile(created bool) {
	pts := s.cfg.File.Enqueue
	if len(pts) == 0 {
		return
	}
	seen := map[string]bool{}
	if !created {
		for _, id := range s.ledger.order {
			seen[valuesKey(s.ledger.records[id].Params)] = true
		}
		for _, q := range s.study.Queue {
			seen[valuesKey(q.Params)] = true
		}
	}
	n := 0
	for _, p := range pts {
		if k := valuesKey(p.Values); !seen[k] && len(s.study.Queue) < maxQueue {
			seen[k] = true
			s.study.Queue = append(s.study.Queue, Queued{Params: p.Values, Source: p.Source, By: s.cfg.By, Time: s.cfg.Now()})
			n++
		}
	}
	if n > 0 {
		s.log.Info("queued the space file's enqueue: configurations; they run before the algorithm's own", "study", s.study.Name, "queued", n)
	}
}

// maxQueue bounds the configurations waiting in a study (spacefile.MaxPoints).
const maxQueue = 1000

func valuesKey(vs value.Values) string {
	var b strings.Builder
	for _, nv := range vs {
		fmt.Fprintf(&b, "%s=%s|", nv.Name, nv.Value)
	}
	return b.String()
}

// takeQueued hands the searcher the next queued configuration
// (search.Context.Queue); one that no longer fits the space is dropped,
// with a warning.
func (s *Scheduler) takeQueued() (search.Point, bool) {
	for len(s.study.Queue) > 0 {
		q := s.study.Queue[0]
		s.study.Queue = s.study.Queue[1:]
		p, err := s.cfg.File.Space.PointOf(q.Params)
		if err != nil {
			s.log.Warn("a queued configuration no longer fits the space: dropped", "source", q.Source, "err", err)
			continue
		}
		if s.popped == nil {
			s.popped = map[string]Queued{}
		}
		s.popped[p.Key()] = q
		return p, true
	}
	return nil, false
}

// origin is what a trial made from a queued configuration records.
func (q Queued) origin() string {
	o := "queued"
	if q.Source != "" {
		o += " from " + q.Source
	}
	if q.By != "" {
		o += " by " + q.By
	}
	return o
}

// noResult is why a study whose every trial failed has failed: no trial
// completed, paused at a rung or was pruned with a value, and some failed.
func (s *Scheduler) noResult() string {
	c := s.ledger.counts
	if c[trial.Failed] == 0 || c[trial.Completed]+c[trial.Paused]+c[trial.Pruned] > 0 {
		return ""
	}
	last := ""
	for i := len(s.ledger.order) - 1; i >= 0 && last == ""; i-- {
		if rec := s.ledger.records[s.ledger.order[i]]; rec.State == trial.Failed {
			last = fmt.Sprintf("; last: trial %d: %s", rec.ID, trial.FirstLine(rec.Error))
		}
	}
	if c[trial.Stopped] > 0 {
		return fmt.Sprintf("no trial completed: %d failed, %d stopped%s", c[trial.Failed], c[trial.Stopped], last)
	}
	return fmt.Sprintf("every trial failed (%d)%s", c[trial.Failed], last)
}
