package study_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"automl/spacefile"
	"automl/study"
	"automl/trial"
)

// A program that trains its own trials: ask, train, tell, until the budget
// is used. The study file is the automl command's: automl report reads it.
func Example() {
	dir, _ := os.MkdirTemp("", "study")
	defer os.RemoveAll(dir)
	space, err := spacefile.ParseWithoutTrainer("space.yaml", []byte(`
study: my-model
objective: {metric: val_loss, direction: minimize}
budget: {trials: 20}
algorithm: {name: tpe, seed: 1}
parameters:
  lr:     {type: float, low: 1.0e-4, high: 1.0, log: true}
  layers: {type: int, low: 1, high: 4}
`))
	if err != nil {
		log.Fatal(err)
	}
	s, err := study.Open(filepath.Join(dir, "automl.db"), space, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	for {
		t, err := s.Ask(ctx)
		if errors.Is(err, study.ErrDone) {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		// Train with t.Params here; this stands in for a validation loss.
		lr, layers := t.Params.Float("lr", 0), t.Params.Int("layers", 0)
		loss := (lr-0.01)*(lr-0.01) + 0.01*float64(layers)
		if err := s.Tell(ctx, t, trial.Metrics{"val_loss": loss}); err != nil {
			log.Fatal(err)
		}
	}
	sum, _ := s.Summary(ctx)
	fmt.Println(sum.Status, sum.Counts[trial.Completed], "trials completed")
	// Output: done 20 trials completed
}
