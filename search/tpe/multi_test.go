package tpe

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"automl/search"
	"automl/search/pareto"
)

// goalHistory is a history on a space of one float whose trials are
// given by their goals: a loss vector (nil: a pruned trial whose last
// value is 0.5, or a pending one with pending set) and a violation.
type goalTrial struct {
	losses    []float64
	violation float64
	pending   bool
}

func goalRows(t *testing.T, trials []goalTrial) []trialRow {
	t.Helper()
	space, err := search.NewSpace([]search.Param{{Name: "x", Type: search.FloatParam, Low: 0, High: 1}})
	if err != nil {
		t.Fatal(err)
	}
	h := &search.History{}
	for i, g := range trials {
		o := search.Observation{ID: i, Point: space.Decode([]float64{float64(i) / 16})}
		switch {
		case g.pending:
			o.Status = search.Pending
		case g.losses == nil:
			o.Status, o.Loss, o.HasLoss, o.Resource = search.Pruned, 0.5, true, 1
		default:
			o.Status, o.Loss, o.HasLoss = search.Complete, g.losses[0], true
			o.Losses, o.Violation = g.losses, g.violation
		}
		h.Add(o)
	}
	rs, dropped := rows(space, dimsOf(space), h)
	if len(dropped) > 0 {
		t.Fatalf("rows dropped %v", dropped)
	}
	return rs
}

// TestSplitRankThenHypervolume: with two objectives the good group takes
// whole fronts while they fit, and from the front it takes in part the
// members that add the most hypervolume, one after another, as Optuna
// 3.1's _split_observation_pairs does on the same points (its choices
// for 1 to 7 are the wants below: testdata/optuna_motpe.py split);
// not the first in time, nor by the first loss, nor by the sum of losses.
// An infeasible trial ranks after the pruned one, whatever its losses;
// the pending one is always in the bad group.
func TestSplitRankThenHypervolume(t *testing.T) {
	rs := goalRows(t, []goalTrial{
		{losses: []float64{1.5, 2.45}},            // 0 Q3: front 1, earliest, smallest sum
		{losses: []float64{5, 1.2}},               // 1 Q1: front 1
		{losses: []float64{0, 4}},                 // 2 P0: front 0
		{losses: []float64{2, 2}},                 // 3 Q2: front 1, the largest box
		{},                                        // 4 pruned
		{losses: []float64{4, 0}},                 // 5 P1: front 0
		{losses: []float64{1, 5}},                 // 6 Q0: front 1, smallest first loss
		{losses: []float64{0, 0}, violation: 0.3}, // 7 infeasible
		{losses: []float64{1, 1}},                 // 8 P2: front 0
		{pending: true},                           // 9
	})
	for _, tc := range []struct {
		n    int
		want []int
	}{
		{1, []int{8}}, // the largest box of front 0
		{2, []int{2, 8}},
		{3, []int{2, 5, 8}},
		{4, []int{2, 3, 5, 8}},
		{5, []int{0, 2, 3, 5, 8}},
		{6, []int{0, 1, 2, 3, 5, 8}},
		{7, []int{0, 1, 2, 3, 5, 6, 8}},
		{8, []int{0, 1, 2, 3, 4, 5, 6, 8}},
		{9, []int{0, 1, 2, 3, 4, 5, 6, 7, 8}},
	} {
		below, above := split(rs, tc.n, true)
		if !slices.Equal(below, tc.want) {
			t.Errorf("n_below %d: good group %v, want %v", tc.n, below, tc.want)
		}
		if len(below)+len(above) != len(rs) || !slices.Contains(above, 9) {
			t.Errorf("n_below %d: bad group %v", tc.n, above)
		}
	}
}

// TestSplitFeasibleFirst: one objective with a constraint: feasible trials
// by loss, then the pruned one, then the infeasible ones by total
// violation (an unreported constraint, +Inf, last), as Optuna's TPE with
// constraints_func; without the constant liar the pending trial is left out.
func TestSplitFeasibleFirst(t *testing.T) {
	rs := goalRows(t, []goalTrial{
		{losses: []float64{5}},                 // 0
		{losses: []float64{0}, violation: 0.1}, // 1: the best loss, infeasible
		{losses: []float64{3}},                 // 2
		{},                                     // 3 pruned
		{losses: []float64{-1}, violation: math.Inf(1)}, // 4: constraint not reported
		{losses: []float64{9}, violation: 0.05},         // 5
		{pending: true},                                 // 6
		{losses: []float64{1}, violation: 1e-300},       // 7: barely infeasible
	})
	order := []int{2, 0, 3, 7, 5, 1, 4}
	for n := 1; n <= len(order); n++ {
		below, above := split(rs, n, false)
		want := slices.Sorted(slices.Values(order[:n]))
		if !slices.Equal(below, want) || slices.Contains(above, 6) || len(below)+len(above) != len(order) {
			t.Errorf("n_below %d: good group %v, bad %v; want good %v (order %v), the pending trial in neither", n, below, above, want, order)
		}
	}
}

// TestSplitSeveralObjectivesWithConstraints: the fronts are those of the
// feasible trials; an infeasible trial that would dominate them all ranks
// after them.
func TestSplitSeveralObjectivesWithConstraints(t *testing.T) {
	rs := goalRows(t, []goalTrial{
		{losses: []float64{-9, -9}, violation: 2}, // 0
		{losses: []float64{1, 3}},                 // 1
		{losses: []float64{-9, -9}, violation: 1}, // 2
		{losses: []float64{3, 1}},                 // 3
		{losses: []float64{3, 3}},                 // 4: front 1
	})
	for n, want := range [][]int{nil, {1}, {1, 3}, {1, 3, 4}, {1, 2, 3, 4}, {0, 1, 2, 3, 4}} {
		if below, _ := split(rs, n, true); !slices.Equal(below, want) {
			t.Errorf("n_below %d: good group %v, want %v", n, below, want)
		}
	}
}

// TestBelowWeights: the good group's kernels weigh by hypervolume
// contribution over the largest (Optuna 3.1's
// _calculate_weights_below_for_multi_objective gives 0.08, 0.08, 1, 2e-13
// on these points, testdata/optuna_motpe.py weights, whose reference point is the same in both: the nadir
// (4, 4) plus a tenth of the range is 1.1 times the worst); a pruned or
// infeasible member weighs next to nothing; one objective: none.
func TestBelowWeights(t *testing.T) {
	rs := goalRows(t, []goalTrial{
		{losses: []float64{0, 4}},
		{losses: []float64{4, 0}},
		{losses: []float64{1, 1}},
		{losses: []float64{2, 2}},
		{losses: []float64{0, 0}, violation: 1},
		{},
	})
	w := belowWeights(rs, []int{0, 1, 2, 3, 4, 5})
	want := []float64{0.4 / 5, 0.4 / 5, 1, weightEps / 5, weightEps, weightEps}
	for i := range want {
		if math.Abs(w[i]-want[i]) > 1e-12*math.Max(1, want[i]) || w[i] <= 0 {
			t.Fatalf("weights %v, want %v", w, want)
		}
	}
	if w := belowWeights(rs, []int{2}); !slices.Equal(w, []float64{1}) {
		t.Errorf("a lone member weighs %v, want 1", w)
	}
	single := goalRows(t, []goalTrial{{losses: []float64{1}}, {losses: []float64{2}}})
	if w := belowWeights(single, []int{0, 1}); w != nil {
		t.Errorf("one objective: weights %v, want none (the defaults)", w)
	}
}

// TestGreedyHSSPIsThePlainGreedy: the lazy greedy chooses what the plain
// greedy does (each step the point adding the most hypervolume, ties to
// the earlier), on random fronts of two and three objectives with copies.
func TestGreedyHSSPIsThePlainGreedy(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := range 200 {
		k := 2 + trial%2
		n := 2 + rng.IntN(30)
		pts := make([][]float64, n)
		for i := range pts {
			if i > 0 && rng.IntN(8) == 0 {
				pts[i] = pts[rng.IntN(i)]
				continue
			}
			pts[i] = make([]float64, k)
			s := 0.0
			for d := range pts[i] {
				pts[i][d] = rng.Float64()
				s += pts[i][d]
			}
			for d := range pts[i] { // on the simplex: mutually non-dominated
				pts[i][d] /= s
			}
		}
		m := 1 + rng.IntN(n-1)
		got := greedyHSSP(pts, m)
		ref, _ := pareto.Reference(pts)
		var want []int
		var set [][]float64
		for len(want) < m {
			best, bestGain := -1, 0.0
			base, _ := pareto.Hypervolume(set, ref)
			for i := range pts {
				if slices.Contains(want, i) {
					continue
				}
				with, _ := pareto.Hypervolume(append(slices.Clone(set), pts[i]), ref)
				if g := with - base; best < 0 || g > bestGain {
					best, bestGain = i, g
				}
			}
			want = append(want, best)
			set = append(set, pts[best])
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%d points of %d objectives, choose %d: lazy %v, plain %v", n, k, m, got, want)
		}
	}
}
