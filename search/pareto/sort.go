package pareto

import (
	"fmt"
	"math"
	"slices"
)

// Ranks sorts the points into non-dominated fronts (NSGA-II's fast
// non-dominated sorting) and returns the rank of each point, in the order
// given: 0 for the Pareto front, r+1 for the front of what is left once
// ranks 0..r are removed. Equal vectors share a rank.
//
// violations, when not nil, holds each point's total constraint violation
// (0 or less: feasible) and the fronts follow constraint domination: the
// feasible points are ranked among themselves first, then the infeasible
// ones by violation alone, each distinct violation its own rank (smallest
// first, NaN last), after the feasible ranks.
//
// The points are swept in lexicographic order, so that every point comes
// after those dominating it, and each is put in the first front holding
// none of them, found by binary search over the fronts (Zhang et al.'s
// ENS-BS): O(n log n) comparisons for two objectives, at worst O(k·n²)
// for k.
func Ranks(losses [][]float64, violations []float64) ([]int, error) {
	k, err := checkPoints(losses, "point")
	if err != nil {
		return nil, err
	}
	if violations != nil && len(violations) != len(losses) {
		return nil, fmt.Errorf("pareto: %d violations for %d points", len(violations), len(losses))
	}
	ranks := make([]int, len(losses))
	var feas, infeas []int
	for i := range losses {
		if violations == nil || feasible(violations[i]) {
			feas = append(feas, i)
		} else {
			infeas = append(infeas, i)
		}
	}
	next := sortFronts(losses, feas, ranks, k)
	slices.SortFunc(infeas, func(a, b int) int { return compare(violations[a], violations[b]) })
	for n, i := range infeas {
		if n > 0 && compare(violations[i], violations[infeas[n-1]]) != 0 {
			next++
		}
		ranks[i] = next
	}
	return ranks, nil
}

// Front returns the indices, ascending, of the points of rank 0 (see
// Ranks): the Pareto front, or under constraints the feasible points no
// feasible point dominates, or when none is feasible those of the
// smallest violation.
func Front(losses [][]float64, violations []float64) ([]int, error) {
	ranks, err := Ranks(losses, violations)
	if err != nil {
		return nil, err
	}
	var front []int
	for i, r := range ranks {
		if r == 0 {
			front = append(front, i)
		}
	}
	return front, nil
}

// sortFronts ranks the points losses[idx...] among themselves into ranks
// and returns how many fronts they make.
func sortFronts(losses [][]float64, idx []int, ranks []int, k int) int {
	order := slices.Clone(idx)
	slices.SortFunc(order, func(a, b int) int { return compareVectors(losses[a], losses[b]) })
	var fronts [][]int // each front's members, in sweep order
	// dominated says whether a member of front f dominates p. Every member
	// came before p in the sweep. With two objectives the last one is
	// enough: a front's members, swept, have their second loss falling,
	// so if the last does not dominate p (its first loss no larger, its
	// second larger than p's), no earlier member does.
	dominated := func(f []int, p []float64) bool {
		if k == 2 {
			return Dominates(losses[f[len(f)-1]], p)
		}
		for j := len(f) - 1; j >= 0; j-- {
			if Dominates(losses[f[j]], p) {
				return true
			}
		}
		return false
	}
	for n, i := range order {
		p := losses[i]
		if n > 0 && compareVectors(p, losses[order[n-1]]) == 0 {
			// a copy of the point before: same dominators, same rank; it
			// dominates nothing its twin does not, so it joins no front
			ranks[i] = ranks[order[n-1]]
			continue
		}
		// A dominator of p in front f means one in every front before f
		// (the chain of dominators down to the front), so the fronts
		// holding one are a prefix: binary search for its end.
		lo, hi := 0, len(fronts)
		for lo < hi {
			mid := int(uint(lo+hi) >> 1)
			if dominated(fronts[mid], p) {
				lo = mid + 1
			} else {
				hi = mid
			}
		}
		if lo == len(fronts) {
			fronts = append(fronts, nil)
		}
		fronts[lo] = append(fronts[lo], i)
		ranks[i] = lo
	}
	return len(fronts)
}

// Crowding returns the crowding distance (NSGA-II) of each point of one
// front, in the order given: for each objective, the points are ordered by
// it (equal values by index, so the result is deterministic), the first
// and the last get +Inf, and each other point adds the gap between its two
// neighbours divided by the objective's range. An objective whose values
// are all equal adds nothing but still gives its first and last +Inf.
// Fronts of one or two points are all boundary: +Inf.
//
// Values that are not finite (NaN orders as the worst, after +Inf) sit at
// the edges of their objective: a point with such a neighbour gets +Inf,
// like a boundary, and the range the others are divided by is that of the
// finite values.
func Crowding(front [][]float64) ([]float64, error) {
	k, err := checkPoints(front, "front point")
	if err != nil {
		return nil, err
	}
	n := len(front)
	dist := make([]float64, n)
	if n <= 2 {
		for i := range dist {
			dist[i] = math.Inf(1)
		}
		return dist, nil
	}
	order := make([]int, n)
	for m := range k {
		for i := range order {
			order[i] = i
		}
		slices.SortStableFunc(order, func(a, b int) int { return compare(front[a][m], front[b][m]) })
		dist[order[0]], dist[order[n-1]] = math.Inf(1), math.Inf(1)
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, i := range order {
			if v := front[i][m]; isFinite(v) {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
		// halves, so that a range of finite values wider than the largest
		// float64 does not overflow to +Inf
		span := hi/2 - lo/2
		for j := 1; j < n-1; j++ {
			prev, next := front[order[j-1]][m], front[order[j+1]][m]
			switch {
			case !isFinite(prev) || !isFinite(next):
				dist[order[j]] = math.Inf(1)
			case span > 0:
				dist[order[j]] += (next/2 - prev/2) / span
			}
		}
	}
	return dist, nil
}

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
