package report

import (
	"slices"
)

// fanova returns, for each feature, the share of the forest's variance
// that the feature explains alone (its main effect), averaged over trees
// (Hutter, Hoos and Leyton-Brown, "An efficient approach for assessing
// hyperparameter importance", ICML 2014). Under the uniform measure on the
// domain, a tree is a piecewise-constant function over its leaves' boxes;
// its marginal in feature j (the mean over every other feature) is
// piecewise constant over the tree's split points on j, so the variance
// of that marginal is exact, not sampled. A conditional feature (lo < 0)
// counts only over its active part (see marginalVariance).
func fanova(trees []tree, lo []float64) []float64 {
	d := len(lo)
	out := make([]float64, d)
	used := 0
	for _, t := range trees {
		mean, total := treeMoments(t, lo)
		if total <= 0 {
			continue // a constant tree explains nothing
		}
		used++
		for j := range d {
			out[j] += marginalVariance(t, lo, j, mean) / total
		}
	}
	if used > 0 {
		for j := range out {
			out[j] /= float64(used)
		}
	}
	return out
}

// volume is the leaf's share of the domain, leaving out feature skip (-1: none).
func volume(l *leaf, lo []float64, skip int) float64 {
	v := 1.0
	for j := range lo {
		if j != skip {
			v *= (l.hi[j] - l.lo[j]) / (1 - lo[j])
		}
	}
	return v
}

// treeMoments is the tree's mean and variance over the domain.
func treeMoments(t tree, lo []float64) (mean, variance float64) {
	vols := make([]float64, len(t.leaves))
	for i := range t.leaves {
		vols[i] = volume(&t.leaves[i], lo, -1)
		mean += vols[i] * t.leaves[i].value
	}
	for i := range t.leaves {
		dv := t.leaves[i].value - mean
		variance += vols[i] * dv * dv
	}
	return mean, variance
}

// marginalVariance is the variance over feature j of the tree's mean over
// the other features. Each leaf adds value * (its volume in the other
// features) to the marginal on [lo_j, hi_j); a sweep over the sorted ends
// sums the overlapping contributions.
func marginalVariance(t tree, lo []float64, j int, mean float64) float64 {
	type edge struct {
		x     float64
		delta float64
	}
	edges := make([]edge, 0, 2*len(t.leaves))
	for i := range t.leaves {
		l := &t.leaves[i]
		if l.hi[j] <= l.lo[j] {
			continue
		}
		c := l.value * volume(l, lo, j)
		edges = append(edges, edge{l.lo[j], c}, edge{l.hi[j], -c})
	}
	slices.SortFunc(edges, func(a, b edge) int {
		switch {
		case a.x < b.x:
			return -1
		case a.x > b.x:
			return 1
		}
		return 0
	})
	width := 1 - lo[j]
	type piece struct{ x, w, m float64 } // from x, a width share w at marginal m
	pieces := make([]piece, 0, len(edges))
	var m float64
	for k := 0; k < len(edges); {
		x := edges[k].x
		for k < len(edges) && edges[k].x == x {
			m += edges[k].delta
			k++
		}
		if k < len(edges) {
			pieces = append(pieces, piece{x, (edges[k].x - x) / width, m})
		}
	}
	if lo[j] < 0 {
		// A conditional parameter: whether it is active at all is decided
		// by its parent, whose importance that is. Count only how its value
		// matters where it is active: the variance around the mean over the
		// active part, weighted by that part's share.
		active := pieces[:0]
		var wa, sa float64
		for _, p := range pieces {
			if p.x >= 0 {
				active = append(active, p)
				wa += p.w
				sa += p.w * p.m
			}
		}
		if wa == 0 {
			return 0
		}
		pieces, mean = active, sa/wa
	}
	var v float64
	for _, p := range pieces {
		dm := p.m - mean
		v += p.w * dm * dm
	}
	return v
}
