package pareto

import (
	"math"
	"math/rand/v2"
	"slices"
)

// bruteRanks peels fronts the slow way, O(n³): the points no remaining
// point dominates (under constraint domination when violations is not
// nil) are the next front.
func bruteRanks(losses [][]float64, violations []float64) []int {
	dom := func(i, j int) bool {
		if violations == nil {
			return Dominates(losses[i], losses[j])
		}
		return ConstrainedDominates(losses[i], losses[j], violations[i], violations[j])
	}
	ranks := make([]int, len(losses))
	left := make([]int, len(losses))
	for i := range left {
		left[i] = i
	}
	for r := 0; len(left) > 0; r++ {
		var front, rest []int
		for _, i := range left {
			if slices.ContainsFunc(left, func(j int) bool { return dom(j, i) }) {
				rest = append(rest, i)
			} else {
				front = append(front, i)
			}
		}
		for _, i := range front {
			ranks[i] = r
		}
		left = rest
	}
	return ranks
}

// randomPoints draws n points of k objectives. With levels > 0 each
// objective takes one of levels integer values, so ties and copies are
// common; with levels == 0 the values are uniform on [0, 1).
func randomPoints(rng *rand.Rand, n, k, levels int) [][]float64 {
	pts := make([][]float64, n)
	for i := range pts {
		pts[i] = make([]float64, k)
		for m := range pts[i] {
			if levels > 0 {
				pts[i][m] = float64(rng.IntN(levels))
			} else {
				pts[i][m] = rng.Float64()
			}
		}
	}
	return pts
}

// strictlyInside is the brute-force side's own filter: the points
// strictly better than ref in every objective.
func strictlyInside(pts [][]float64, ref []float64) [][]float64 {
	var in [][]float64
	for _, p := range pts {
		ok := true
		for m := range p {
			ok = ok && p[m] < ref[m]
		}
		if ok {
			in = append(in, p)
		}
	}
	return in
}

// gridVolume is the hypervolume by brute force: the grid of every
// point's coordinates and the reference's cuts space into cells, and a
// cell counts when a point is at or below its lower corner in every
// objective. Only positive terms are summed.
func gridVolume(pts [][]float64, ref []float64) float64 {
	pts = strictlyInside(pts, ref)
	k := len(ref)
	cuts := make([][]float64, k)
	for m := range cuts {
		cuts[m] = []float64{ref[m]}
		for _, p := range pts {
			cuts[m] = append(cuts[m], p[m])
		}
		slices.Sort(cuts[m])
		cuts[m] = slices.Compact(cuts[m])
	}
	idx := make([]int, k)
	corner := make([]float64, k)
	total := 0.0
	for {
		vol := 1.0
		for m := range idx {
			if idx[m]+1 >= len(cuts[m]) {
				return total // the last cut is ref: no cell beyond
			}
			corner[m] = cuts[m][idx[m]]
			vol *= cuts[m][idx[m]+1] - corner[m]
		}
		if slices.ContainsFunc(pts, func(p []float64) bool {
			for m := range p {
				if p[m] > corner[m] {
					return false
				}
			}
			return true
		}) {
			total += vol
		}
		// next cell, the first objective fastest
		m := 0
		for ; m < k; m++ {
			idx[m]++
			if idx[m]+1 < len(cuts[m]) {
				break
			}
			if m == k-1 {
				return total
			}
			idx[m] = 0
		}
	}
}

// inclusionExclusion is the hypervolume as the signed sum, over every
// non-empty subset of the points, of the volume their boxes share: exact
// for integer coordinates, 2^n terms.
func inclusionExclusion(pts [][]float64, ref []float64) float64 {
	pts = strictlyInside(pts, ref)
	total := 0.0
	for set := 1; set < 1<<len(pts); set++ {
		vol, sign := 1.0, -1.0
		for m := range ref {
			worst := math.Inf(-1)
			for i, p := range pts {
				if set&(1<<i) != 0 {
					worst = max(worst, p[m])
				}
			}
			vol *= ref[m] - worst
		}
		for i := range pts {
			if set&(1<<i) != 0 {
				sign = -sign
			}
		}
		total += sign * vol
	}
	return total
}

// near says whether got is within rel of want, relatively.
func near(got, want, rel float64) bool {
	return math.Abs(got-want) <= rel*math.Abs(want)
}
