package scheduler

import (
	"automl/search"
	"automl/trial"
)

// add takes a record the searcher did not just create into the ledger and
// the history, with its learning curve: a stored one, or an imported one
// (automl import, warm_start:: state trial.Imported, never run here, out
// of the budget, created() and the ranking; a complete observation marked
// Imported for the searcher).
func (l *ledger) add(rec *trial.Record, curve []search.CurvePoint) {
	l.records[rec.ID] = rec
	l.order = append(l.order, rec.ID)
	l.counts[rec.State]++
	if rec.State == trial.Pending || rec.State == trial.Running {
		l.inFlight[rec.ID] = true
	}
	l.trained += rec.Resource
	l.noteBest(rec)
	// A trial recorded under an earlier version of the space is modelled
	// as it fits this one (defaults in, removed parameters out); one that
	// does not fit is left out of the history.
	p, err := l.space.Fit(rec.Params)
	if err != nil {
		l.outside[err.Error()]++
		return
	}
	o := search.Observation{ID: rec.ID, Point: p, Curve: curve}
	l.observation(&o, rec)
	l.history.Add(o)
}

// importConfigured adds Config.Imports when the study opens, but those
// whose Source the study has: a warm start is applied once.
func (s *Scheduler) importConfigured() {
	have := map[string]bool{}
	for _, rec := range s.ledger.records {
		have[rec.Source] = rec.Source != ""
	}
	added := 0
	for _, r := range s.cfg.Imports {
		if !have[r.Source] {
			have[r.Source], added = r.Source != "", added+1
			rec := &trial.Record{ID: s.newID(), State: trial.Imported, Params: r.Params, Value: r.Value, HasValue: r.HasValue,
				Metrics: r.Metrics, Resource: r.Resource, Note: r.Note, Source: r.Source, Created: s.cfg.Now()}
			s.ledger.add(rec, nil)
			s.buf.add(effects{changed: []int{rec.ID}}, s.spec)
		}
	}
	if len(s.cfg.Imports) > 0 {
		s.log.Info("warm start: imported results the algorithm learns from (not counted in the budget)", "study", s.study.Name, "imported", added, "already in the study", len(s.cfg.Imports)-added)
	}
}

func (s *Scheduler) newID() int {
	s.nextID++
	return s.nextID - 1
}
