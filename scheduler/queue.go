package scheduler

import (
	"strings"

	"automl/search"
)

// takeQueued hands the searcher the next configuration users queued
// (search.Context.Queue), noting where it came from for its trial; one
// that no longer fits the space is dropped, with a warning.
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
			s.popped = map[string]string{}
		}
		s.popped[p.Key()] = strings.TrimSuffix("queued from "+q.Source+" by "+q.By, " by ")
		return p, true
	}
	return nil, false
}
