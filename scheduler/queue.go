package scheduler

import (
	"automl/search"
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
