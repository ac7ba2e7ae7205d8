package pareto

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestHypervolumeAgainstBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 4))
	for _, tc := range []struct{ k, maxN, levels int }{
		{1, 10, 0}, {1, 10, 5},
		{2, 40, 0}, {2, 40, 6}, {2, 12, 3},
		{3, 30, 0}, {3, 30, 6}, {3, 12, 3},
		{4, 10, 0}, {4, 10, 5},
		{5, 7, 0}, {5, 7, 4},
	} {
		for rep := range 30 {
			n := rng.IntN(tc.maxN + 1)
			pts := randomPoints(rng, n, tc.k, tc.levels)
			ref := make([]float64, tc.k)
			for m := range ref {
				ref[m] = 1 // points at the reference (levels-1 ≥ 1 when levels > 0) add nothing
				if tc.levels > 0 {
					ref[m] = float64(tc.levels - 1 - rng.IntN(2))
				}
			}
			name := fmt.Sprintf("k=%d levels=%d n=%d rep=%d", tc.k, tc.levels, n, rep)
			got, err := Hypervolume(pts, ref)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			want := gridVolume(pts, ref)
			if !near(got, want, 1e-9) {
				t.Fatalf("%s: Hypervolume = %v, grid says %v\npoints %v ref %v", name, got, want, pts, ref)
			}
			if tc.levels > 0 && n <= 12 {
				// integer coordinates: every term exact
				if ie := inclusionExclusion(pts, ref); got != ie {
					t.Fatalf("%s: Hypervolume = %v, inclusion-exclusion says %v\npoints %v ref %v", name, got, ie, pts, ref)
				}
			}
		}
	}
}

func TestHypervolumeClosedForms(t *testing.T) {
	for _, tc := range []struct {
		name string
		pts  [][]float64
		ref  []float64
		want float64
	}{
		{"no points", nil, []float64{1, 1}, 0},
		{"one point", [][]float64{{1, 2}}, []float64{4, 4}, 3 * 2},
		{"one point, 3-D", [][]float64{{1, 2, 0.5}}, []float64{4, 4, 4}, 3 * 2 * 3.5},
		{"one point, 4-D", [][]float64{{1, 2, 0.5, -1}}, []float64{4, 4, 4, 1}, 3 * 2 * 3.5 * 2},
		{"one objective", [][]float64{{3}, {1}, {2}}, []float64{5}, 4},
		// strips 3·1 + 2·1 + 1·1
		{"staircase", [][]float64{{1, 3}, {2, 2}, {3, 1}}, []float64{4, 4}, 6},
		{"staircase of n=10", staircase(10), []float64{10, 10}, 45},
		{"point on the reference", [][]float64{{1, 4}, {2, 2}}, []float64{4, 4}, 4},
		{"point beyond the reference", [][]float64{{5, 0}, {2, 2}}, []float64{4, 4}, 4},
		{"NaN and +Inf add nothing", [][]float64{{math.NaN(), 0}, {0, math.Inf(1)}, {2, 2}}, []float64{4, 4}, 4},
		{"-Inf outside the box is ignored", [][]float64{{math.Inf(-1), 5}, {2, 2}}, []float64{4, 4}, 4},
	} {
		got, err := Hypervolume(tc.pts, tc.ref)
		if err != nil || got != tc.want {
			t.Errorf("%s: Hypervolume = %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
	// the unit vectors e_1..e_k against (2, ..., 2): the cube [0,2]^k
	// less the cube [0,1]^k that none of them covers
	for k := 1; k <= 6; k++ {
		pts := make([][]float64, k)
		ref := make([]float64, k)
		for i := range pts {
			pts[i] = make([]float64, k)
			pts[i][i] = 1
			ref[i] = 2
		}
		got, err := Hypervolume(pts, ref)
		if want := math.Pow(2, float64(k)) - 1; err != nil || got != want {
			t.Errorf("unit vectors, k=%d: Hypervolume = %v, %v; want %v", k, got, err, want)
		}
	}
}

// staircase is n-1 points (i, n-i) on the line x+y=n: against (n, n) the
// strips are (n-i)·1 each, n(n-1)/2 in all.
func staircase(n int) [][]float64 {
	var pts [][]float64
	for i := 1; i < n; i++ {
		pts = append(pts, []float64{float64(i), float64(n - i)})
	}
	return pts
}

// The hypervolume is a function of the set: the order of the points does
// not change it, nor do points some point weakly dominates (copies
// included).
func TestHypervolumeInvariance(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 5))
	for _, k := range []int{2, 3, 4} {
		for rep := range 20 {
			pts := randomPoints(rng, 3+rng.IntN(30), k, 0)
			ref := slices.Repeat([]float64{1.1}, k)
			want, err := Hypervolume(pts, ref)
			if err != nil {
				t.Fatal(err)
			}
			more := slices.Clone(pts)
			for range 20 {
				p := slices.Clone(pts[rng.IntN(len(pts))])
				if rng.IntN(3) > 0 { // otherwise a copy
					for m := range p {
						p[m] += rng.Float64() * (ref[m] + 0.5 - p[m])
					}
				}
				more = append(more, p)
			}
			rng.Shuffle(len(more), func(i, j int) { more[i], more[j] = more[j], more[i] })
			got, err := Hypervolume(more, ref)
			if err != nil || !near(got, want, 1e-12) {
				t.Fatalf("k=%d rep=%d: shuffled with dominated points %v, %v; alone %v", k, rep, got, err, want)
			}
		}
	}
}

func TestHypervolumeRefusesBadInput(t *testing.T) {
	for _, tc := range []struct {
		name   string
		pts    [][]float64
		ref    []float64
		errHas string
	}{
		{"no reference", [][]float64{{1}}, nil, "the reference point has no objectives"},
		{"reference NaN", [][]float64{{1, 1}}, []float64{2, math.NaN()}, "reference point's objective 1 is NaN"},
		{"reference +Inf", [][]float64{{1, 1}}, []float64{math.Inf(1), 2}, "reference point's objective 0 is +Inf"},
		{"ragged", [][]float64{{1, 1}, {1, 1, 1}}, []float64{2, 2}, "point 1 has 3 objectives, the reference point 2"},
		{"-Inf inside", [][]float64{{1, 1}, {0, math.Inf(-1)}}, []float64{2, 2}, "point 1: objective 1 is -Inf"},
	} {
		_, err := Hypervolume(tc.pts, tc.ref)
		if err == nil || !strings.Contains(err.Error(), tc.errHas) {
			t.Errorf("%s: Hypervolume error %v, want one saying %q", tc.name, err, tc.errHas)
		}
		_, err = Contributions(tc.pts, tc.ref)
		if err == nil || !strings.Contains(err.Error(), tc.errHas) {
			t.Errorf("%s: Contributions error %v, want one saying %q", tc.name, err, tc.errHas)
		}
	}
}

// Each point's contribution is what the hypervolume loses without it.
func TestContributionsAgainstLeaveOneOut(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 6))
	for _, k := range []int{1, 2, 3, 4} {
		for _, levels := range []int{0, 4} {
			for rep := range 25 {
				pts := randomPoints(rng, rng.IntN(25), k, levels)
				if len(pts) > 2 {
					pts[0] = slices.Clone(pts[1]) // a copy
				}
				ref := slices.Repeat([]float64{1}, k)
				if levels > 0 {
					ref = slices.Repeat([]float64{float64(levels) - 0.5}, k)
				}
				got, err := Contributions(pts, ref)
				if err != nil {
					t.Fatal(err)
				}
				all, _ := Hypervolume(pts, ref)
				for i := range pts {
					rest, _ := Hypervolume(slices.Delete(slices.Clone(pts), i, i+1), ref)
					if math.Abs(got[i]-(all-rest)) > 1e-12*max(all, 1e-300) {
						t.Fatalf("k=%d levels=%d rep=%d: point %d %v contributes %v, HV(all) - HV(without it) = %v\npoints %v", k, levels, rep, i, pts[i], got[i], all-rest, pts)
					}
				}
			}
		}
	}
}

func TestContributionsKnown(t *testing.T) {
	for _, tc := range []struct {
		name string
		pts  [][]float64
		ref  []float64
		want []float64
	}{
		{"staircase", [][]float64{{1, 3}, {2, 2}, {3, 1}}, []float64{4, 4}, []float64{1, 1, 1}},
		{"one point owns its box", [][]float64{{1, 2}}, []float64{4, 4}, []float64{6}},
		{"copies own nothing", [][]float64{{1, 3}, {2, 2}, {2, 2}, {3, 1}}, []float64{4, 4}, []float64{1, 0, 0, 1}},
		// (2,2) owns its rectangle [2,4)×[2,4) less the box of (3,3) in it
		{"a dominated point gives its box back", [][]float64{{3, 3}, {2, 2}}, []float64{4, 4}, []float64{0, 3}},
		{"dominated and outside", [][]float64{{3, 3}, {2, 2}, {5, 0}, {math.NaN(), 0}}, []float64{4, 4}, []float64{0, 3, 0, 0}},
		{"one objective", [][]float64{{3}, {1}, {2}}, []float64{5}, []float64{0, 1, 0}},
		{"unit vectors, 3-D", [][]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, []float64{2, 2, 2}, []float64{1, 1, 1}},
	} {
		got, err := Contributions(tc.pts, tc.ref)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%s: Contributions = %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
}

func TestReference(t *testing.T) {
	for _, tc := range []struct {
		name string
		pts  [][]float64
		want []float64
	}{
		// range 4 and 10: nadir + 0.4 and + 1
		{"range", [][]float64{{1, 10}, {5, 0}, {3, 3}}, []float64{5.4, 11}},
		{"one point", [][]float64{{2, -5}}, []float64{2.2, -4.5}},
		{"zero range at zero", [][]float64{{0, 1}, {0, 2}}, []float64{1, 2.1}},
		{"non-finite points left out", [][]float64{{1, 1}, {math.NaN(), 9}, {math.Inf(1), 0}, {math.Inf(-1), 0}, {2, 0}}, []float64{2.1, 1.1}},
	} {
		got, err := Reference(tc.pts)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		for m := range tc.want {
			if !near(got[m], tc.want[m], 1e-15) {
				t.Errorf("%s: Reference = %v, want %v", tc.name, got, tc.want)
				break
			}
		}
	}
	for _, tc := range []struct {
		name   string
		pts    [][]float64
		errHas string
	}{
		{"none", nil, "no points"},
		{"none finite", [][]float64{{math.NaN(), 1}, {1, math.Inf(1)}}, "no point has a finite loss in every objective"},
		{"ragged", [][]float64{{1, 1}, {1}}, "point 1 has 1 objectives, point 0 has 2"},
		{"overflow", [][]float64{{math.MaxFloat64, 0}, {1, 0}}, "objective 0: the reference point overflows"},
	} {
		_, err := Reference(tc.pts)
		if err == nil || !strings.Contains(err.Error(), tc.errHas) {
			t.Errorf("%s: Reference error %v, want one saying %q", tc.name, err, tc.errHas)
		}
	}
	// a reference from the points leaves every one of them a volume
	pts := [][]float64{{1, 10}, {5, 0}, {3, 3}}
	ref, _ := Reference(pts)
	c, _ := Contributions(pts, ref)
	if slices.Contains(c, 0) {
		t.Errorf("points %v against their reference %v: contributions %v, none should be 0", pts, ref, c)
	}
}
