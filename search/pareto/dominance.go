package pareto

import (
	"fmt"
	"math"
)

// Dominates reports whether a dominates b: a is no worse than b in every
// objective and strictly better in at least one, all objectives losses and
// NaN the worst value (see the package doc). Vectors of different lengths
// do not compare: neither dominates the other.
func Dominates(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	better := false
	for i := range a {
		switch compare(a[i], b[i]) {
		case 1:
			return false
		case -1:
			better = true
		}
	}
	return better
}

// ConstrainedDominates reports whether a, whose total constraint violation
// is va, dominates b, whose violation is vb, under constraint domination
// (Deb): a feasible point (violation 0 or less) dominates every infeasible
// one; of two infeasible points, the smaller violation dominates whatever
// the losses (NaN is the worst violation; equal violations: neither); of
// two feasible points, Dominates decides.
func ConstrainedDominates(a, b []float64, va, vb float64) bool {
	fa, fb := feasible(va), feasible(vb)
	switch {
	case fa && fb:
		return Dominates(a, b)
	case fa != fb:
		return fa
	default:
		return compare(va, vb) < 0
	}
}

// compare orders losses and violations, NaN last: -1 when x is better
// (smaller) than y, 1 when worse, 0 when equal (two NaNs are equal, and so
// are -0 and +0).
func compare(x, y float64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	case x == y:
		return 0
	}
	// at least one NaN
	xn, yn := math.IsNaN(x), math.IsNaN(y)
	switch {
	case xn && yn:
		return 0
	case xn:
		return 1
	default:
		return -1
	}
}

// compareVectors orders vectors of the same length lexicographically with
// compare. A point that dominates another comes first in this order, which
// is what the sweeps below rely on.
func compareVectors(a, b []float64) int {
	for i := range a {
		if c := compare(a[i], b[i]); c != 0 {
			return c
		}
	}
	return 0
}

// feasible says whether a total violation counts as feasible: 0 or less
// (NaN is not).
func feasible(v float64) bool { return v <= 0 }

// checkPoints checks that the points all have the same number k ≥ 1 of
// objectives, and returns k (0 when there are no points). what names the
// points in the error ("point", "front point").
func checkPoints(points [][]float64, what string) (int, error) {
	if len(points) == 0 {
		return 0, nil
	}
	k := len(points[0])
	if k == 0 {
		return 0, fmt.Errorf("pareto: %s 0 has no objectives", what)
	}
	for i, p := range points {
		if len(p) != k {
			return 0, fmt.Errorf("pareto: %s %d has %d objectives, %s 0 has %d", what, i, len(p), what, k)
		}
	}
	return k, nil
}
