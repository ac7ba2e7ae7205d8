package main

import (
	"fmt"
	"math"
	"strings"

	"automl/search/benchfn"
	"automl/search/pareto"
	"automl/search/value"
)

// The constrained problems. Each reports its objectives then its
// constraints' values, a constraint holding when its value is at most 0
// (the space file bounds metric cI with max: 0; Optuna's constraints_func
// takes the same values). Single-objective ones state the known
// constrained minimum (Opt); multi-objective ones the true feasible
// front's hypervolume. Feasible is the share of the box that is feasible,
// stated in the problem's doc and checked by problems_test.go.

// vector wraps a function of x0..x{n-1} that returns objectives and
// constraint values.
func vector(n int, fn func(x []float64) []float64) func(value.Values) ([]float64, error) {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("x%d", i)
	}
	return func(vs value.Values) ([]float64, error) {
		x, err := floats(vs, names...)
		if err != nil {
			return nil, err
		}
		return fn(x), nil
	}
}

// boxParams is the parameters section of floats x0..x{n-1} on bounds.
func boxParams(bounds [][2]float64) string {
	var b strings.Builder
	for i, lh := range bounds {
		fmt.Fprintf(&b, "  x%d: {type: float, low: %g, high: %g}\n", i, lh[0], lh[1])
	}
	return b.String()
}

// cbranin is Branin with the constraint (x0-2.5)² + (x1-7.5)² <= 50
// (BoTorch's ConstrainedBranin): of Branin's three global minima only
// (π, 2.275) is inside the disk, so the constrained minimum is still
// 10/(8π) = 0.397887. The disk lies inside the box: the feasible share is
// 50π/225 = 0.698.
func cbranin(x []float64) []float64 {
	dx, dy := x[0]-2.5, x[1]-7.5
	return []float64{benchfn.Branin(x), dx*dx + dy*dy - 50}
}

// chartmann6 is Hartmann6 with the constraint |x|² <= 1 (BoTorch's
// ConstrainedHartmann): the feasible region is the unit ball's positive
// orthant, (π³/6)/2⁶ = 8.07% of [0, 1]⁶, and holds the global minimiser
// (|x|² = 0.8955), so the constrained minimum is -3.32237.
func chartmann6(x []float64) []float64 {
	s := 0.0
	for _, v := range x {
		s += v * v
	}
	return []float64{benchfn.Hartmann6(x), s - 1}
}

// tnk is Tanaka's problem (Tanaka et al. 1995; Deb 2001): x0, x1 in
// [0, π], f = (x0, x1), feasible when x0² + x1² - 1 - 0.1 cos(16
// atan2(x0, x1)) >= 0 and (x0-0.5)² + (x1-0.5)² <= 0.5. The front is the
// non-dominated part of the first constraint's wavy boundary, in pieces;
// 5.09% of the box is feasible (Monte Carlo, 4 million points).
func tnk(x []float64) []float64 {
	a, b := x[0], x[1]
	c1 := -(a*a + b*b - 1 - 0.1*math.Cos(16*math.Atan2(a, b)))
	c2 := (a-0.5)*(a-0.5) + (b-0.5)*(b-0.5) - 0.5
	return []float64{a, b, c1, c2}
}

// ctp1 is Deb's CTP1 with two constraints over ZDT's g on 6 variables in
// [0, 1] (Deb et al. 2001 use a Rastrigin g): f1 = x0, f2 = g exp(-f1/g),
// feasible when f2 >= 0.858 exp(-0.541 f1) and f2 >= 0.728 exp(-0.295 f1).
// f2 grows with g, so the front is f2 = the largest of exp(-f1) and the
// two bounds, f1 in [0, 1]; the constraints cut off the unconstrained
// front (g = 1) for f1 above 0.33. They bind only near the front (g near
// 1): none of 4 million uniform points of the box was infeasible.
func ctp1(x []float64) []float64 {
	g := zdtG(x)
	f1 := x[0]
	f2 := g * math.Exp(-f1/g)
	return []float64{f1, f2, 0.858*math.Exp(-0.541*f1) - f2, 0.728*math.Exp(-0.295*f1) - f2}
}

// ctp1Front is CTP1's true front, f1 in [0, 1] at n points.
func ctp1Front(n int) [][]float64 {
	pts := make([][]float64, n)
	for i := range pts {
		f1 := float64(i) / float64(n-1)
		pts[i] = []float64{f1, max(math.Exp(-f1), 0.858*math.Exp(-0.541*f1), 0.728*math.Exp(-0.295*f1))}
	}
	return pts
}

// tnkFront is TNK's true front, sampled: for each x0 of a grid on [0, 1.2],
// the smallest feasible x1 (a scan in steps of 0.002 from the disk's
// lowest point, then bisection to 1e-12), its non-dominated points.
func tnkFront(n int) [][]float64 {
	feasible := func(a, b float64) bool {
		c := tnk([]float64{a, b})
		return c[2] <= 0 && c[3] <= 0
	}
	var pts [][]float64
	for i := range n {
		a := 1.2 * float64(i) / float64(n-1)
		r := 0.5 - (a-0.5)*(a-0.5)
		if r < 0 {
			continue
		}
		lo, hi := max(0, 0.5-math.Sqrt(r)), 0.5+math.Sqrt(r)
		if feasible(a, lo) {
			pts = append(pts, []float64{a, lo})
			continue
		}
		for b := lo; b <= hi; b += 0.002 {
			if feasible(a, b) {
				l, h := b-0.002, b
				for range 40 {
					m := (l + h) / 2
					if feasible(a, m) {
						h = m
					} else {
						l = m
					}
				}
				pts = append(pts, []float64{a, h})
				break
			}
		}
	}
	return pts
}

// constrainedProblems builds the constrained problems.
func constrainedProblems() ([]*problem, error) {
	tnkRef, ctpRef := []float64{1.2, 1.2}, []float64{1.1, 11}
	tnkHV, err := pareto.Hypervolume(tnkFront(20001), tnkRef)
	if err != nil {
		return nil, fmt.Errorf("tnk's true front: %w", err)
	}
	ctpHV, err := pareto.Hypervolume(ctp1Front(200001), ctpRef)
	if err != nil {
		return nil, fmt.Errorf("ctp1's true front: %w", err)
	}
	brBox := [][2]float64{{-5, 10}, {0, 15}}
	h6Box := [][2]float64{{0, 1}, {0, 1}, {0, 1}, {0, 1}, {0, 1}, {0, 1}}
	tnkBox := [][2]float64{{0, math.Pi}, {0, math.Pi}}
	return []*problem{
		{Name: "cbranin", Doc: "Branin, (x0-2.5)² + (x1-7.5)² <= 50; one of three minima feasible; 69.8% of the box feasible",
			Params: boxParams(brBox), K: 1, NC: 1, Eval: vector(2, cbranin), Opt: 10 / (8 * math.Pi), Feasible: 50 * math.Pi / 225, Box: brBox},
		{Name: "chartmann6", Doc: "Hartmann6, |x|² <= 1; 8.07% of the box feasible",
			Params: boxParams(h6Box), K: 1, NC: 1, Eval: vector(6, chartmann6), Opt: -3.32237, Feasible: math.Pow(math.Pi, 3) / 6 / 64, Box: h6Box},
		{Name: "tnk", Doc: "TNK, 2 variables, 2 constraints; a front in pieces on a wavy boundary; 5.09% of the box feasible",
			Params: boxParams(tnkBox), K: 2, NC: 2, Eval: vector(2, tnk), Ref: tnkRef, TrueHV: tnkHV, Feasible: 0.0509, Box: tnkBox},
		{Name: "ctp1", Doc: "CTP1 over ZDT's g, 6 variables, 2 constraints that cut the unconstrained front; all but a sliver near the front feasible",
			Params: cubeParams(), K: 2, NC: 2, Eval: vector(d, ctp1), Ref: ctpRef, TrueHV: ctpHV, Feasible: 1, Box: h6Box},
	}, nil
}
