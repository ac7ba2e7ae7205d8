package pareto

import (
	"math"
	"testing"
)

var (
	nan  = math.NaN()
	inf  = math.Inf(1)
	ninf = math.Inf(-1)
)

func TestDominates(t *testing.T) {
	for _, tc := range []struct {
		name   string
		a, b   []float64
		ab, ba bool // a dominates b, b dominates a
	}{
		{"better in both", []float64{1, 1}, []float64{2, 2}, true, false},
		{"better in one, equal in the other", []float64{1, 2}, []float64{1, 3}, true, false},
		{"trade-off", []float64{1, 3}, []float64{2, 2}, false, false},
		{"equal vectors", []float64{1, 2}, []float64{1, 2}, false, false},
		{"-0 equals +0", []float64{math.Copysign(0, -1), 1}, []float64{0, 1}, false, false},
		{"one objective", []float64{1}, []float64{2}, true, false},
		{"three objectives", []float64{1, 2, 3}, []float64{1, 2, 4}, true, false},
		{"three objectives, trade-off", []float64{1, 2, 5}, []float64{1, 3, 4}, false, false},
		{"+Inf is worse than a number", []float64{1, inf}, []float64{1, 5}, false, true},
		{"-Inf is better than a number", []float64{ninf, 5}, []float64{0, 5}, true, false},
		{"NaN is worse than a number", []float64{nan, 0}, []float64{1, 0}, false, true},
		{"NaN is worse than +Inf", []float64{nan, 0}, []float64{inf, 0}, false, true},
		{"NaN equals NaN", []float64{nan, 0}, []float64{nan, 1}, true, false},
		{"equal vectors with NaN", []float64{nan, 1}, []float64{nan, 1}, false, false},
		{"all NaN against a number", []float64{nan, nan}, []float64{nan, 3}, false, true},
		{"NaN trade-off", []float64{nan, 0}, []float64{0, 1}, false, false},
		{"different lengths", []float64{1}, []float64{2, 2}, false, false},
		{"empty vectors", []float64{}, []float64{}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Dominates(tc.a, tc.b); got != tc.ab {
				t.Errorf("Dominates(%v, %v) = %v, want %v", tc.a, tc.b, got, tc.ab)
			}
			if got := Dominates(tc.b, tc.a); got != tc.ba {
				t.Errorf("Dominates(%v, %v) = %v, want %v", tc.b, tc.a, got, tc.ba)
			}
		})
	}
}

func TestConstrainedDominates(t *testing.T) {
	good, bad := []float64{1, 1}, []float64{5, 5}
	for _, tc := range []struct {
		name   string
		a, b   []float64
		va, vb float64
		ab, ba bool
	}{
		{"both feasible: plain dominance", good, bad, 0, 0, true, false},
		{"both feasible, trade-off", []float64{1, 3}, []float64{3, 1}, 0, 0, false, false},
		{"both feasible, equal", good, good, 0, 0, false, false},
		{"negative violation is feasible", good, bad, -2, 0, true, false},
		{"feasible beats infeasible with better losses", bad, good, 0, 0.1, true, false},
		{"feasible with NaN losses beats infeasible", []float64{nan, nan}, good, 0, 1e-12, true, false},
		{"infeasible: smaller violation wins over better losses", bad, good, 1, 2, true, false},
		{"infeasible: equal violations, neither", good, bad, 1, 1, false, false},
		{"infeasible: +Inf violation loses to a finite one", bad, good, 3, inf, true, false},
		{"NaN violation is infeasible", bad, good, 0, nan, true, false},
		{"NaN violation is the worst", bad, good, inf, nan, true, false},
		{"two NaN violations, neither", good, bad, nan, nan, false, false},
		{"both feasible, different lengths", []float64{1}, []float64{2, 2}, 0, 0, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ConstrainedDominates(tc.a, tc.b, tc.va, tc.vb); got != tc.ab {
				t.Errorf("ConstrainedDominates(%v, %v, %v, %v) = %v, want %v", tc.a, tc.b, tc.va, tc.vb, got, tc.ab)
			}
			if got := ConstrainedDominates(tc.b, tc.a, tc.vb, tc.va); got != tc.ba {
				t.Errorf("ConstrainedDominates(%v, %v, %v, %v) = %v, want %v", tc.b, tc.a, tc.vb, tc.va, got, tc.ba)
			}
		})
	}
}

// Dominance is a strict partial order on vectors of one length: never
// reflexive, never both ways, transitive. Checked on a small grid that
// holds NaN and both infinities.
func TestDominanceIsAStrictPartialOrder(t *testing.T) {
	vals := []float64{ninf, 0, 1, inf, nan}
	var pts [][]float64
	for _, x := range vals {
		for _, y := range vals {
			pts = append(pts, []float64{x, y})
		}
	}
	for _, a := range pts {
		if Dominates(a, a) {
			t.Errorf("%v dominates itself", a)
		}
		for _, b := range pts {
			if Dominates(a, b) && Dominates(b, a) {
				t.Errorf("%v and %v dominate each other", a, b)
			}
			for _, c := range pts {
				if Dominates(a, b) && Dominates(b, c) && !Dominates(a, c) {
					t.Errorf("%v dominates %v dominates %v, but not %v the last", a, b, c, a)
				}
			}
		}
	}
}
