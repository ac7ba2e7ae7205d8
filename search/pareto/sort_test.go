package pareto

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestRanksAgainstBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 1))
	for _, k := range []int{1, 2, 3, 4} {
		for _, levels := range []int{0, 3, 6} {
			for _, n := range []int{0, 1, 2, 7, 40, 150} {
				for rep := range 4 {
					pts := randomPoints(rng, n, k, levels)
					if levels == 6 && n > 0 {
						// copies of whole points, and a NaN or two
						for range n / 4 {
							pts[rng.IntN(n)] = slices.Clone(pts[rng.IntN(n)])
						}
						pts[rng.IntN(n)][rng.IntN(k)] = math.NaN()
					}
					name := fmt.Sprintf("k=%d levels=%d n=%d rep=%d", k, levels, n, rep)
					got, err := Ranks(pts, nil)
					if err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					if want := bruteRanks(pts, nil); !slices.Equal(got, want) {
						t.Fatalf("%s: ranks\n got %v\nwant %v\npoints %v", name, got, want, pts)
					}
				}
			}
		}
	}
}

func TestConstrainedRanksAgainstBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 2))
	for _, k := range []int{2, 3, 4} {
		for _, n := range []int{1, 5, 30, 120} {
			for rep := range 5 {
				pts := randomPoints(rng, n, k, 5)
				viol := make([]float64, n)
				for i := range viol {
					switch rng.IntN(6) {
					case 0, 1:
						viol[i] = float64(rng.IntN(4)) // 0 is feasible; others repeat
					case 2:
						viol[i] = -rng.Float64() // feasible too
					case 3:
						if rep == 4 {
							viol[i] = math.NaN()
						}
					}
				}
				if rep == 3 { // nothing feasible
					for i := range viol {
						viol[i] = 1 + float64(rng.IntN(3))
					}
				}
				got, err := Ranks(pts, viol)
				if err != nil {
					t.Fatal(err)
				}
				if want := bruteRanks(pts, viol); !slices.Equal(got, want) {
					t.Fatalf("k=%d n=%d rep=%d: ranks\n got %v\nwant %v\npoints %v\nviolations %v", k, n, rep, got, want, pts, viol)
				}
			}
		}
	}
}

// The generic scan over a front's members and the two-objective shortcut
// (the last member only) agree: the 2-D ranks above are checked against
// brute force; here the same sets go through the generic path (a third
// objective that is constant changes no dominance).
func TestTwoObjectiveShortcutMatchesGenericScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 3))
	for rep := range 50 {
		pts := randomPoints(rng, 200, 2, []int{0, 4, 20}[rep%3])
		lifted := make([][]float64, len(pts))
		for i, p := range pts {
			lifted[i] = []float64{p[0], p[1], 7}
		}
		a, _ := Ranks(pts, nil)
		b, _ := Ranks(lifted, nil)
		if !slices.Equal(a, b) {
			t.Fatalf("rep %d: 2-D ranks %v, generic %v", rep, a, b)
		}
	}
}

func TestRanksKnown(t *testing.T) {
	pts := [][]float64{
		{1, 5}, {2, 2}, {5, 1}, // front
		{3, 3}, {2, 6}, // dominated by (2,2) and (1,5)
		{4, 4},          // dominated by (3,3)
		{2, 2},          // a copy of the front's (2,2)
		{math.NaN(), 0}, // nothing has a better second loss: front
		{math.NaN(), 1}, // dominated by (NaN, 0) and (5, 1)
	}
	got, err := Ranks(pts, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{0, 0, 0, 1, 1, 2, 0, 0, 1}; !slices.Equal(got, want) {
		t.Errorf("Ranks = %v, want %v", got, want)
	}
	front, _ := Front(pts, nil)
	if want := []int{0, 1, 2, 6, 7}; !slices.Equal(front, want) {
		t.Errorf("Front = %v, want %v", front, want)
	}
	// constraints: the (4,4) point is the only feasible one; among the
	// others the smallest violation wins whatever the losses
	viol := []float64{2, 1, 2, 0.5, math.NaN(), 0, 1, 3, math.Inf(1)}
	got, _ = Ranks(pts, viol)
	if want := []int{3, 2, 3, 1, 6, 0, 2, 4, 5}; !slices.Equal(got, want) {
		t.Errorf("constrained Ranks = %v, want %v", got, want)
	}
	front, _ = Front(pts, viol)
	if want := []int{5}; !slices.Equal(front, want) {
		t.Errorf("constrained Front = %v, want %v", front, want)
	}
	// nothing feasible: the front is every point of the smallest violation
	front, _ = Front(pts[:3], []float64{1, 1, 2})
	if want := []int{0, 1}; !slices.Equal(front, want) {
		t.Errorf("infeasible Front = %v, want %v", front, want)
	}
}

func TestRanksRefusesBadInput(t *testing.T) {
	for _, tc := range []struct {
		name   string
		pts    [][]float64
		viol   []float64
		errHas string
	}{
		{"ragged", [][]float64{{1, 2}, {1, 2}, {3}}, nil, "point 2 has 1 objectives, point 0 has 2"},
		{"no objectives", [][]float64{{}, {}}, nil, "point 0 has no objectives"},
		{"violations short", [][]float64{{1}, {2}}, []float64{0}, "1 violations for 2 points"},
	} {
		_, err := Ranks(tc.pts, tc.viol)
		if err == nil || !strings.Contains(err.Error(), tc.errHas) {
			t.Errorf("%s: Ranks error %v, want one saying %q", tc.name, err, tc.errHas)
		}
		_, err = Front(tc.pts, tc.viol)
		if err == nil || !strings.Contains(err.Error(), tc.errHas) {
			t.Errorf("%s: Front error %v, want one saying %q", tc.name, err, tc.errHas)
		}
	}
	if r, err := Ranks(nil, nil); err != nil || len(r) != 0 {
		t.Errorf("Ranks(nil) = %v, %v; want no ranks, no error", r, err)
	}
}

func TestCrowding(t *testing.T) {
	inf := math.Inf(1)
	for _, tc := range []struct {
		name  string
		front [][]float64
		want  []float64
	}{
		{"one point", [][]float64{{1, 2}}, []float64{inf}},
		{"two points", [][]float64{{1, 2}, {2, 1}}, []float64{inf, inf}},
		{"empty", nil, []float64{}},
		// x: 0 1 3 4, range 4: (1,·) gets (3-0)/4, (3,·) gets (4-1)/4;
		// y: 0 1 2 4 for points 3 2 1 0, range 4: point 1 (y=2) gets
		// (4-1)/4, point 2 (y=1) gets (2-0)/4
		{"four points", [][]float64{{0, 4}, {1, 2}, {3, 1}, {4, 0}}, []float64{inf, 0.75 + 0.75, 0.75 + 0.5, inf}},
		// order given does not matter
		{"four points shuffled", [][]float64{{3, 1}, {0, 4}, {4, 0}, {1, 2}}, []float64{1.25, inf, inf, 1.5}},
		// one objective: sorted 0 1 2 10, range 10
		{"one objective", [][]float64{{2}, {0}, {10}, {1}}, []float64{0.9, inf, inf, 0.2}},
		// three copies: by index the first and last are the boundaries
		{"copies", [][]float64{{1, 1}, {1, 1}, {1, 1}}, []float64{inf, 0, inf}},
		// an objective whose values are all equal adds nothing to the inner points
		{"flat objective", [][]float64{{0, 5}, {1, 5}, {3, 5}, {4, 5}}, []float64{inf, 0.75, 0.75, inf}},
		// NaN sorts last: the point beside it in y gets +Inf; the range
		// of y is that of its finite values, 0..2
		{"NaN", [][]float64{{0, math.NaN()}, {1, 2}, {2, 1}, {4, 0}}, []float64{inf, inf, 0.75 + 1, inf}},
		// finite values wider apart than the largest float64
		{"huge range", [][]float64{{-1e308}, {0}, {1e308}}, []float64{inf, 1, inf}},
	} {
		got, err := Crowding(tc.front)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if len(got) != len(tc.want) {
			t.Fatalf("%s: %d distances for %d points", tc.name, len(got), len(tc.want))
		}
		for i := range got {
			if !(got[i] == tc.want[i] || math.Abs(got[i]-tc.want[i]) < 1e-12) {
				t.Errorf("%s: Crowding = %v, want %v", tc.name, got, tc.want)
				break
			}
		}
	}
	if _, err := Crowding([][]float64{{1, 2}, {3}}); err == nil || !strings.Contains(err.Error(), "front point 1 has 1 objectives") {
		t.Errorf("ragged front: error %v", err)
	}
}
