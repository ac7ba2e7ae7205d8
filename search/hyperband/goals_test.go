package hyperband_test

import (
	"reflect"
	"testing"

	"automl/search"
	"automl/search/fidelity/fidelitytest"
	"automl/search/searchtest"
)

// TestPromotesTheFront: Hyperband's first bracket (nine trials at
// resource 1, three go on) promotes by Pareto rank and crowding: of a
// hand-made rung (the one of asha's test), the front's two ends and its
// least crowded inner point, not the three best by the first loss.
func TestPromotesTheFront(t *testing.T) {
	rung := []fidelitytest.RungGoal{
		{Losses: []float64{0, 10}}, {Losses: []float64{0.5, 11}}, {Losses: []float64{1, 6}},
		{Losses: []float64{1.5, 7}}, {Losses: []float64{2, 4}}, {Losses: []float64{3, 5}},
		{Losses: []float64{6, 1}}, {Losses: []float64{7, 2}}, {Losses: []float64{10, 0}},
	}
	for _, alg := range []string{"hyperband"} {
		space, set := fidelitytest.Space(t, alg, "max_resource: 9", 1)
		s, err := search.NewSearcher(space, set)
		if err != nil {
			t.Fatal(err)
		}
		if got := fidelitytest.Promoted(t, s, space, rung, 3); !reflect.DeepEqual(got, []int{0, 6, 8}) {
			t.Errorf("%s promoted %v, want [0 6 8]", alg, got)
		}
	}
}

func TestConformanceGoals(t *testing.T) {
	searchtest.Run(t, searchtest.WithGoals(searchtest.Config{Algorithm: "hyperband", Options: "min_resource: 1, max_resource: 9, reduction_factor: 3"}))
}

// TestKillAndRestoreGoals: as asha's, for Hyperband's brackets.
func TestKillAndRestoreGoals(t *testing.T) {
	space, set := fidelitytest.Space(t, "hyperband", "max_resource: 27", 13)
	cfg := searchtest.WithGoals(searchtest.Config{})
	fidelitytest.CheckKills(t, space, func() (search.Searcher, error) { return cfg.New(space, set) },
		fidelitytest.Config{Slots: 4, Trials: 70, MaxResource: 27, Seed: 13, Fail: func(id int) bool { return id%19 == 7 }}, 20, 9)
}

// TestGoalConformance: the suite's studies of several objectives and
// constraints (searchtest.RunGoals).
func TestGoalConformance(t *testing.T) {
	searchtest.RunGoals(t, searchtest.Config{Algorithm: "hyperband", Options: "min_resource: 1, max_resource: 9, reduction_factor: 3"})
}
