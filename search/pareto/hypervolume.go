package pareto

import (
	"fmt"
	"math"
	"slices"
	"sort"
)

// Hypervolume returns the volume dominated by the points and bounded by
// the reference point ref: the union of the boxes [p, ref] over the points
// p strictly better than ref in every objective (the others add nothing).
// It is exact, up to float64 rounding:
//
//   - one objective: ref minus the best loss;
//   - two: a sweep along the first loss, O(n log n);
//   - three: a sweep along the third loss over a 2-D staircase of the
//     first two, updated point by point (Beume et al.'s dimension sweep):
//     O(n log n) comparisons, and at worst O(n²) element moves in the
//     staircase, a slice;
//   - four or more: slices along the last loss, each slice the
//     hypervolume of one objective fewer down to three (HSO), at worst
//     O(n^(k-2) log n): for the small sets of many objectives.
//
// ref must be finite and have one value per objective; a point strictly
// better than ref with a -Inf loss has an unbounded volume and is refused.
func Hypervolume(points [][]float64, ref []float64) (float64, error) {
	in, err := inside(points, ref)
	if err != nil {
		return 0, err
	}
	pts := make([][]float64, len(in))
	for n, i := range in {
		pts[n] = points[i]
	}
	return volume(pts, ref), nil
}

// Contributions returns each point's exclusive hypervolume: how much the
// hypervolume of the points (see Hypervolume) would lose without it.
// A point weakly dominated by another (a copy included: each of two copies
// contributes nothing on its own), or not strictly better than ref in
// every objective, contributes 0. With two objectives the contributions
// come from the staircase at once, O(n log n); otherwise each is the
// volume of the point's box less the hypervolume, inside that box, of the
// other points' overlap with it: n hypervolumes of n-1 points, O(n² log n)
// with three objectives, which suits the few points a sampler weighs
// (MOTPE's best trials) rather than a front of thousands.
func Contributions(points [][]float64, ref []float64) ([]float64, error) {
	in, err := inside(points, ref)
	if err != nil {
		return nil, err
	}
	contrib := make([]float64, len(points))
	if len(in) == 0 {
		return contrib, nil
	}
	if len(ref) == 2 {
		contributions2(points, in, ref, contrib)
		return contrib, nil
	}
	k := len(ref)
	// the other points' overlap with a point's box: their limits, one row
	// each of flat, reused from point to point
	limits := make([][]float64, len(in)-1)
	flat := make([]float64, k*len(limits))
	for n := range limits {
		limits[n] = flat[n*k : (n+1)*k : (n+1)*k]
	}
	for _, i := range in {
		p := points[i]
		if slices.ContainsFunc(in, func(j int) bool { return j != i && weaklyDominates(points[j], p) }) {
			continue
		}
		box := 1.0
		for m := range p {
			box *= ref[m] - p[m]
		}
		n := 0
		for _, j := range in {
			if j == i {
				continue
			}
			for m := range k {
				limits[n][m] = max(p[m], points[j][m])
			}
			n++
		}
		contrib[i] = max(0, box-volume(limits, ref))
	}
	return contrib, nil
}

// contributions2 sets the contributions of the points in (indices into
// points) with two objectives. The staircase's steps (the first of any
// copies) own disjoint rectangles: from the step to the next step's first
// loss, and from the step up to the step before's second loss. A point
// off the staircase lies in at most one of these (the one of the last
// step not right of it), and takes its box's share from that step's
// rectangle, so a step's contribution is its rectangle less the
// hypervolume of the points in it; a copy fills the whole rectangle.
func contributions2(points [][]float64, in []int, ref []float64, contrib []float64) {
	slices.SortFunc(in, func(a, b int) int { return compareVectors(points[a], points[b]) })
	var stairs []int // indices into points, first loss rising
	onStairs := make([]bool, len(in))
	y := ref[1]
	for n, i := range in {
		if points[i][1] < y {
			stairs = append(stairs, i)
			onStairs[n] = true
			y = points[i][1]
		}
	}
	right := func(s int) float64 {
		if s+1 < len(stairs) {
			return points[stairs[s+1]][0]
		}
		return ref[0]
	}
	top := func(s int) float64 {
		if s > 0 {
			return points[stairs[s-1]][1]
		}
		return ref[1]
	}
	under := make([][][]float64, len(stairs)) // the points off the staircase in each step's rectangle
	for n, i := range in {
		if onStairs[n] {
			continue
		}
		q := points[i]
		// the last step not right of q; one weakly dominates q, so there is one
		s := sort.Search(len(stairs), func(s int) bool { return points[stairs[s]][0] > q[0] }) - 1
		if q[1] < top(s) {
			under[s] = append(under[s], q)
		}
	}
	for s, i := range stairs {
		p := points[i]
		corner := []float64{right(s), top(s)}
		rect := (corner[0] - p[0]) * (corner[1] - p[1])
		contrib[i] = max(0, rect-volume(under[s], corner))
	}
}

// Reference returns a reference point for the points (the feasible ones,
// as a rule): their nadir, the worst loss in each objective, moved out by
// a tenth of the objective's range, or when the range is 0 by a tenth of
// the value's magnitude, or by 1 when that is 0 too. Points with a loss
// that is not finite are left out; there must be one left.
func Reference(points [][]float64) ([]float64, error) {
	k, err := checkPoints(points, "point")
	if err != nil {
		return nil, err
	}
	if len(points) == 0 {
		return nil, fmt.Errorf("pareto: no points to take a reference point from")
	}
	lo, hi := make([]float64, k), make([]float64, k)
	seen := false
	for _, p := range points {
		if slices.ContainsFunc(p, func(v float64) bool { return !isFinite(v) }) {
			continue
		}
		for m, v := range p {
			if !seen || v < lo[m] {
				lo[m] = v
			}
			if !seen || v > hi[m] {
				hi[m] = v
			}
		}
		seen = true
	}
	if !seen {
		return nil, fmt.Errorf("pareto: no point has a finite loss in every objective, to take a reference point from")
	}
	ref := make([]float64, k)
	for m := range ref {
		// a tenth of the range, in two tenths so as not to overflow
		margin := hi[m]/10 - lo[m]/10
		switch {
		case hi[m] == lo[m] && hi[m] != 0:
			margin = math.Abs(hi[m]) / 10
		case hi[m] == lo[m]:
			margin = 1
		}
		ref[m] = hi[m] + margin
		if !isFinite(ref[m]) {
			return nil, fmt.Errorf("pareto: objective %d: the reference point overflows (worst loss %v, range %v to %v)", m, hi[m], lo[m], hi[m])
		}
	}
	return ref, nil
}

// inside checks ref and the points against it and returns the indices,
// ascending, of the points strictly better than ref in every objective.
func inside(points [][]float64, ref []float64) ([]int, error) {
	k := len(ref)
	if k == 0 {
		return nil, fmt.Errorf("pareto: the reference point has no objectives")
	}
	for m, v := range ref {
		if !isFinite(v) {
			return nil, fmt.Errorf("pareto: the reference point's objective %d is %v; it must be finite", m, v)
		}
	}
	var in []int
	for i, p := range points {
		if len(p) != k {
			return nil, fmt.Errorf("pareto: point %d has %d objectives, the reference point %d", i, len(p), k)
		}
		ok := true
		for m, v := range p {
			ok = ok && v < ref[m] // false for NaN
		}
		if !ok {
			continue
		}
		if m := slices.Index(p, math.Inf(-1)); m >= 0 {
			return nil, fmt.Errorf("pareto: point %d: objective %d is -Inf, which makes the hypervolume unbounded", i, m)
		}
		in = append(in, i)
	}
	return in, nil
}

// volume is the hypervolume of points all strictly inside ref, finite.
func volume(pts [][]float64, ref []float64) float64 {
	if len(pts) == 0 {
		return 0
	}
	switch len(ref) {
	case 1:
		best := ref[0]
		for _, p := range pts {
			best = min(best, p[0])
		}
		return ref[0] - best
	case 2:
		return volume2(pts, ref)
	case 3:
		return volume3(pts, ref)
	}
	return volumeSliced(pts, ref)
}

// sortedPoints returns the points (finite here) sorted by the objective
// first, then lexicographically, so that a point comes after any that
// weakly dominates it. The points themselves are shared.
func sortedPoints(pts [][]float64, first int) [][]float64 {
	s := slices.Clone(pts)
	slices.SortFunc(s, func(a, b []float64) int {
		if a[first] != b[first] {
			if a[first] < b[first] {
				return -1
			}
			return 1
		}
		for m := range a {
			if a[m] != b[m] {
				if a[m] < b[m] {
					return -1
				}
				return 1
			}
		}
		return 0
	})
	return s
}

// volume2 sweeps along the first loss: each point whose second loss is
// the best so far adds the strip between it and the best before, out to
// the reference.
func volume2(pts [][]float64, ref []float64) float64 {
	area, y := 0.0, ref[1]
	for _, p := range sortedPoints(pts, 0) {
		if p[1] < y {
			area += (ref[0] - p[0]) * (y - p[1])
			y = p[1]
		}
	}
	return area
}

// step is a point of a 2-D staircase.
type step struct{ x, y float64 }

// volume3 sweeps along the third loss: between two points the volume
// grows by the area of the staircase of the first two losses of the
// points so far times the gap; each point added to the staircase grows
// that area by what of its box no step already covers.
func volume3(pts [][]float64, ref []float64) float64 {
	sorted := sortedPoints(pts, 2)
	stairs := make([]step, 0, len(sorted))
	vol, area := 0.0, 0.0
	for n, p := range sorted {
		if n > 0 {
			vol += area * (p[2] - sorted[n-1][2])
		}
		var added float64
		stairs, added = climb(stairs, p[0], p[1], ref)
		area += added
	}
	return vol + area*(ref[2]-sorted[len(sorted)-1][2])
}

// climb adds the point (x, y) to the staircase s (first loss rising,
// second falling, no step dominating another), dropping the steps it
// weakly dominates, and returns the staircase and the area added.
func climb(s []step, x, y float64, ref []float64) ([]step, float64) {
	i := sort.Search(len(s), func(j int) bool { return s[j].x > x })
	h := ref[1] // the staircase's height over [x, s[i].x)
	if i > 0 {
		h = s[i-1].y
	}
	if h <= y {
		return s, 0 // s[i-1] weakly dominates (x, y)
	}
	// integrate h - y from x to the first step at or below y (or to ref)
	added, t, j := 0.0, x, i
	for ; j < len(s); j++ {
		added += (s[j].x - t) * (h - y)
		t, h = s[j].x, s[j].y
		if h <= y {
			break
		}
	}
	if j == len(s) {
		added += (ref[0] - t) * (h - y)
	}
	lo, hi := i, j // s[i:j] are above and right of (x, y): dominated
	if i > 0 && s[i-1].x == x {
		lo = i - 1 // same first loss, higher second
	}
	if j < len(s) && s[j].y == y {
		hi = j + 1 // same second loss, further right
	}
	return slices.Replace(s, lo, hi, step{x, y}), added
}

// volumeSliced sweeps along the last loss: between two points the volume
// grows by the hypervolume, in one objective fewer, of the points so far
// (those not weakly dominated there) times the gap.
func volumeSliced(pts [][]float64, ref []float64) float64 {
	k := len(ref)
	sorted := sortedPoints(pts, k-1)
	var set [][]float64
	vol, cur := 0.0, 0.0
	for n, p := range sorted {
		if n > 0 {
			vol += cur * (p[k-1] - sorted[n-1][k-1])
		}
		q := p[:k-1]
		if slices.ContainsFunc(set, func(s []float64) bool { return weaklyDominates(s, q) }) {
			continue
		}
		set = slices.DeleteFunc(set, func(s []float64) bool { return weaklyDominates(q, s) })
		set = append(set, q)
		cur = volume(set, ref[:k-1])
	}
	return vol + cur*(ref[k-1]-sorted[len(sorted)-1][k-1])
}

// weaklyDominates says whether a is no worse than b in every objective
// (NaN-free points).
func weaklyDominates(a, b []float64) bool {
	for m := range a {
		if a[m] > b[m] {
			return false
		}
	}
	return true
}
