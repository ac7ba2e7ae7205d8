package scheduler

import "automl/trial"

// front is the Pareto front of a study of several objectives (its
// feasible completed trials that no other dominates), in id order, and
// its hypervolume (0 while no trial is feasible). Completed is terminal,
// so the front is computed again only when a trial has completed since.
func (l *ledger) front() ([]trial.Record, float64) {
	if n := l.counts[trial.Completed] + 1; n != l.frontAt {
		recs := make([]*trial.Record, len(l.order))
		for i, id := range l.order {
			recs[i] = l.records[id]
		}
		l.frontRecs, l.hypervolume = l.goals.FrontOf(recs)
		l.frontAt = n
	}
	out := make([]trial.Record, len(l.frontRecs))
	for i, r := range l.frontRecs {
		out[i] = *r
	}
	return out, l.hypervolume
}
