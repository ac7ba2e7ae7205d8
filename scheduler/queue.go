package scheduler

import (
	"fmt"

	"automl/search"
	"automl/trial"
)

// takeQueued hands the searcher the next configuration users queued
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

// noResult is why a study whose every trial failed has failed ("": it
// has not): no trial completed, paused at a rung or was pruned, and some
// failed.
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
