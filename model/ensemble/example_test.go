package ensemble_test

import (
	"fmt"

	"automl/model/ensemble"
)

// Two classifiers, each wrong where the other is sure: their average is
// right on every row, so selection takes both.
func ExampleSelect() {
	y := []float64{0, 0, 1, 1} // the true classes
	cands := []ensemble.Candidate{
		// the probability of class 1 per row (Width 1: a binary task)
		{Name: "trial 1", Width: 1, Pred: []float32{0.1, 0.1, 0.9, 0.4}},
		{Name: "trial 2", Width: 1, Pred: []float32{0.1, 0.55, 0.9, 0.9}},
	}
	m, _ := ensemble.MetricByName("accuracy")
	res, err := ensemble.Select(cands, y, m, ensemble.Options{Size: 4})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("scores per round:", res.Trajectory)
	fmt.Println("weights:", res.Weights, "rounds:", res.Rounds)
	fmt.Printf("ensemble %v, best single %v (%s)\n", res.Score, res.BestScore, cands[res.Best].Name)
	// Output:
	// scores per round: [0.75 1 1 1]
	// weights: [1 1] rounds: 2
	// ensemble 1, best single 0.75 (trial 1)
}
