package pareto

import (
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
