package bohb_test

import (
	"reflect"
	"testing"

	"automl/search"
	"automl/search/fidelity/fidelitytest"
	"automl/search/searchtest"
)

// TestPromotesTheFront: as hyperband's (BOHB is Hyperband's brackets).
func TestPromotesTheFront(t *testing.T) {
	rung := []fidelitytest.RungGoal{
		{Losses: []float64{0, 10}}, {Losses: []float64{0.5, 11}}, {Losses: []float64{1, 6}},
		{Losses: []float64{1.5, 7}}, {Losses: []float64{2, 4}}, {Losses: []float64{3, 5}},
		{Losses: []float64{6, 1}}, {Losses: []float64{7, 2}}, {Losses: []float64{10, 0}},
	}
	space, set := fidelitytest.Space(t, "bohb", "max_resource: 9", 1)
	s, err := search.NewSearcher(space, set)
	if err != nil {
		t.Fatal(err)
	}
	if got := fidelitytest.Promoted(t, s, space, rung, 3); !reflect.DeepEqual(got, []int{0, 6, 8}) {
		t.Errorf("promoted %v, want [0 6 8]", got)
	}
}

func TestConformanceGoals(t *testing.T) {
	searchtest.Run(t, searchtest.WithGoals(searchtest.Config{Algorithm: "bohb", Learns: true, Options: "min_resource: 1, max_resource: 9, reduction_factor: 3, min_points: 3"}))
}

// TestGoalConformance: the suite's studies of several objectives and
// constraints (searchtest.RunGoals).
func TestGoalConformance(t *testing.T) {
	searchtest.RunGoals(t, searchtest.Config{Algorithm: "bohb", Learns: true, Options: "min_resource: 1, max_resource: 9, reduction_factor: 3, min_points: 3"})
}
