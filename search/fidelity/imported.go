package fidelity

import (
	"math"

	"automl/search"
)

// Imported results (search.Observation.Imported: a warm start from another
// study or an export) are results the rung searchers never ran. They feed
// a model sampler at the budget they were trained to, clamped to the full
// budget top (an unknown resource, 0, counts as the full budget): fifty
// full-budget results of an earlier study give BOHB a model of the top
// budget before its first bracket has finished.

// importedBudget is the budget an imported result counts at.
func importedBudget(o *search.Observation, top float64) float64 {
	if o.Resource <= 0 || (top > 0 && o.Resource > top) {
		return top
	}
	return o.Resource
}

// usableImport reports whether an observation is an imported result a
// model can take (complete, with a finite loss).
func usableImport(o *search.Observation) bool {
	return o.Imported && o.Status == search.Complete && o.HasLoss && !math.IsNaN(o.Loss) && !math.IsInf(o.Loss, 0)
}

// modelBudget is Ledger.ModelBudget counting the imported results of h too.
func (p Proposer) modelBudget(h *search.History, l *Ledger) (float64, bool) {
	count := l.resultCounts()
	if h != nil {
		for i := range h.Trials {
			if o := &h.Trials[i]; usableImport(o) {
				count[importedBudget(o, p.Top)]++
			}
		}
	}
	return largestWith(count, p.MinPoints)
}

// modelHistory is Ledger.ModelHistory with the imported results at budget r.
func (p Proposer) modelHistory(h *search.History, l *Ledger, r float64) *search.History {
	out := l.ModelHistory(h, r)
	if h == nil {
		return out
	}
	for i := range h.Trials {
		if o := &h.Trials[i]; usableImport(o) && importedBudget(o, p.Top) == r {
			out.Add(search.Observation{ID: o.ID, Point: o.Point, Status: search.Complete, Loss: o.Loss, HasLoss: true, Resource: r, Imported: true,
				Losses: o.Losses, Violation: o.Violation, Slacks: o.Slacks})
		}
	}
	return out
}
