package asha_test

import (
	"reflect"
	"testing"

	"automl/search"
	"automl/search/fidelity/fidelitytest"
	"automl/search/searchtest"
)

// A hand-made first rung of nine trials and two objectives: five on the
// front, sorted by the first loss (0, 10), (1, 6), (2, 4), (6, 1), (10, 0),
// whose crowding distances are Inf, 0.8, 1.0, 1.2, Inf, and four
// dominated ones, one of them second by the first loss alone.
var rung = []fidelitytest.RungGoal{
	{Losses: []float64{0, 10}},   // 0: front, boundary
	{Losses: []float64{0.5, 11}}, // 1: dominated by 0, second by f1
	{Losses: []float64{1, 6}},    // 2: front, crowding 0.8
	{Losses: []float64{1.5, 7}},  // 3: dominated by 2
	{Losses: []float64{2, 4}},    // 4: front, crowding 1.0
	{Losses: []float64{3, 5}},    // 5: dominated by 4
	{Losses: []float64{6, 1}},    // 6: front, crowding 1.2
	{Losses: []float64{7, 2}},    // 7: dominated by 6
	{Losses: []float64{10, 0}},   // 8: front, boundary
}

// TestPromotesTheFront: of nine, ASHA (eta 3) promotes three: the front's
// two ends and its least crowded inner point; with the end (10, 0)
// infeasible, the feasible front's ends and its least crowded inner point.
func TestPromotesTheFront(t *testing.T) {
	for _, tc := range []struct {
		name  string
		infea int
		want  []int
	}{
		{"unconstrained", -1, []int{0, 6, 8}},
		{"(10, 0) infeasible", 8, []int{0, 4, 6}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			goals := append([]fidelitytest.RungGoal(nil), rung...)
			if tc.infea >= 0 {
				goals[tc.infea].Violation = 1
			}
			space, set := fidelitytest.Space(t, "asha", "max_resource: 9, sampler: random", 1)
			s, err := search.NewSearcher(space, set)
			if err != nil {
				t.Fatal(err)
			}
			if got := fidelitytest.Promoted(t, s, space, goals, 5); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("promoted %v, want %v", got, tc.want)
			}
		})
	}
}

// TestOneObjectiveStillByLoss: without loss vectors the same rung is
// ranked by the first loss (the trials' Loss).
func TestOneObjectiveStillByLoss(t *testing.T) {
	space, set := fidelitytest.Space(t, "asha", "max_resource: 9, sampler: random", 1)
	s, err := search.NewSearcher(space, set)
	if err != nil {
		t.Fatal(err)
	}
	one := make([]fidelitytest.RungGoal, len(rung))
	for i, g := range rung {
		one[i] = fidelitytest.RungGoal{Losses: g.Losses[:1]}
	}
	if got := fidelitytest.Promoted(t, s, space, one, 5); !reflect.DeepEqual(got, []int{0, 1, 2}) {
		t.Errorf("promoted %v, want the three best by loss [0 1 2]", got)
	}
}

func TestConformanceGoals(t *testing.T) {
	searchtest.Run(t, searchtest.WithGoals(searchtest.Config{Algorithm: "asha", Learns: true, Options: "min_resource: 1, max_resource: 9, reduction_factor: 3"}))
}

// TestKillAndRestoreGoals: a study of two objectives and a constraint,
// its searcher killed 20 times and restored from its last commit, makes
// the same calls with the same answers as the study run uninterrupted
// (the rungs' goals come back from the snapshot).
func TestKillAndRestoreGoals(t *testing.T) {
	space, set := fidelitytest.Space(t, "asha", "max_resource: 27, brackets: 2, sampler: random", 13)
	cfg := searchtest.WithGoals(searchtest.Config{})
	fidelitytest.CheckKills(t, space, func() (search.Searcher, error) { return cfg.New(space, set) },
		fidelitytest.Config{Slots: 4, Trials: 70, MaxResource: 27, Seed: 13, Fail: func(id int) bool { return id%19 == 7 }}, 20, 9)
}

// TestGoalConformance: the suite's studies of several objectives and
// constraints (searchtest.RunGoals).
func TestGoalConformance(t *testing.T) {
	searchtest.RunGoals(t, searchtest.Config{Algorithm: "asha", Learns: true, Options: "min_resource: 1, max_resource: 9, reduction_factor: 3"})
}
