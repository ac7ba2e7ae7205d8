package report

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// Importance is how much each parameter mattered to the objective.
type Importance struct {
	// Params, most important first.
	Params []ParamImportance
	// Trials is the number of completed trials the surrogate was fitted to.
	Trials int
	// Explained is the share of the surrogate's variance that the
	// parameters explain alone (the sum of Main); the rest comes from
	// interactions between parameters.
	Explained float64
	// Note says why Params is empty.
	Note string
}

// ParamImportance is one parameter's importance.
type ParamImportance struct {
	Name string
	// Share is Main normalised over the parameters (they sum to 1), the
	// figure plots show.
	Share float64
	// Main is the share of the objective's variance this parameter
	// explains alone (fANOVA's main effect).
	Main float64
}

const (
	// minImportanceTrials: fewer completed trials say too little.
	minImportanceTrials = 8
	// maxImportanceTrials bounds the trials the forest is fitted to: a
	// systematic sample in id order beyond that.
	maxImportanceTrials = 2000
)

// importanceOf fits the surrogate to the completed trials and runs fANOVA.
func importanceOf(d *Data) Importance {
	var idx []int
	for i := range d.Rows {
		if d.Rows[i].Rank > 0 && !math.IsNaN(d.Rows[i].Value) && !math.IsInf(d.Rows[i].Value, 0) {
			idx = append(idx, i)
		}
	}
	switch {
	case len(d.Params) == 0:
		return Importance{Note: "the study has no parameters"}
	case len(idx) < minImportanceTrials:
		return Importance{Trials: len(idx), Note: fmt.Sprintf("needs %d completed trials, has %d", minImportanceTrials, len(idx))}
	}
	if len(idx) > maxImportanceTrials {
		slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(d.Rows[a].ID, d.Rows[b].ID) })
		sample := make([]int, maxImportanceTrials)
		for k := range sample {
			sample[k] = idx[k*len(idx)/maxImportanceTrials]
		}
		idx = sample
	}
	ds := features(d.Params, d.Rows, idx)
	main := fanova(fitForest(ds, defaultForest), ds.lo)
	imp := Importance{Trials: len(idx)}
	for j, p := range d.Params {
		imp.Params = append(imp.Params, ParamImportance{Name: p.Name, Main: main[j]})
		imp.Explained += main[j]
	}
	for j := range imp.Params {
		if imp.Explained > 0 {
			imp.Params[j].Share = imp.Params[j].Main / imp.Explained
		}
	}
	if imp.Explained == 0 {
		imp.Note = "the objective did not vary with any parameter"
	}
	slices.SortStableFunc(imp.Params, func(a, b ParamImportance) int { return cmp.Compare(b.Share, a.Share) })
	return imp
}

// features places the trials in the forest's domain: each parameter in
// the unit cube as the search algorithms see it; a conditional parameter's
// inactive value below 0, in a region as wide, relative to [0, 1], as the
// share of trials where it is inactive (capped), so the uniform measure
// fANOVA integrates over weighs "inactive" as often as it occurred.
func features(params []Param, rows []Row, idx []int) *dataset {
	ds := &dataset{x: make([][]float64, len(idx)), y: make([]float64, len(idx)), lo: make([]float64, len(params))}
	inactive := make([]int, len(params))
	for k, i := range idx {
		ds.y[k] = rows[i].Value
		ds.x[k] = make([]float64, len(params))
		for j := range params {
			v, _ := rows[i].Params.Get(params[j].Name)
			u := params[j].Unit(v)
			if math.IsNaN(u) {
				inactive[j]++
			}
			ds.x[k][j] = u
		}
	}
	for j, n := range inactive {
		if n == 0 {
			continue
		}
		q := math.Min(0.9, float64(n)/float64(len(idx)))
		ds.lo[j] = -q / (1 - q)
		for k := range ds.x {
			if math.IsNaN(ds.x[k][j]) {
				ds.x[k][j] = ds.lo[j] / 2
			}
		}
	}
	return ds
}
