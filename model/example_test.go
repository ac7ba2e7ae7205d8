package model_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"automl/model"
	"automl/plugins/mlp"
	"automl/trial"
)

// trainIris runs one trial of the mlp trainer on iris.csv, as a study's
// worker would, and returns the directory it saved the model in.
func trainIris() string {
	dir, err := os.MkdirTemp("", "model-example")
	if err != nil {
		log.Fatal(err)
	}
	spec := trial.Spec{Key: trial.Key{Study: "iris", ID: 7}, Seed: 1, CheckpointDir: dir,
		Trainer: trial.Trainer{Plugin: "mlp", Config: map[string]any{
			"dataset": "../testdata/datasets/iris.csv", "epochs": 40, "learning_rate": 0.02, "layers": "16"}}}
	if _, err := (mlp.Runner{}).Run(context.Background(), spec, quiet{}); err != nil {
		log.Fatal(err)
	}
	return dir
}

type quiet struct{}

func (quiet) Report(context.Context, float64, trial.Metrics) (trial.Directive, error) {
	return trial.Continue, nil
}

// Load a model the trainer saved and predict rows given by column name.
func Example() {
	dir := trainIris()
	defer os.RemoveAll(dir)

	m, err := model.Load(filepath.Join(dir, model.ModelFile))
	if err != nil {
		log.Fatal(err)
	}
	var names []string
	for _, in := range m.Inputs() {
		names = append(names, in.Name)
	}
	fmt.Printf("study %s, trial %d: %s of %s from %s\n", m.Info().Study, m.Info().Trial, m.Task(), m.Target(), strings.Join(names, ", "))

	rows := []map[string]string{
		{"sepal_length": "5.0", "sepal_width": "3.4", "petal_length": "1.5", "petal_width": "0.2"},
		{"sepal_length": "6.9", "sepal_width": "3.1", "petal_length": "5.8", "petal_width": "2.3"},
		{"sepal_length": "5.1", "sepal_width": "", "petal_length": "1.4", "petal_width": "0.3"}, // missing: imputed
	}
	p, err := m.Predict(rows, model.Options{})
	if err != nil {
		log.Fatal(err)
	}
	for i := range rows {
		fmt.Printf("%s (p = %.1f)\n", p.Label(i), p.Probabilities(i)[p.Class[i]])
	}

	_, err = m.Predict([]map[string]string{{"sepal_length": "5.0", "sepal_width": "3.4", "petal_length": "1.5,2", "petal_width": "0.2"}}, model.Options{Source: "flowers"})
	fmt.Println(err)
	// Output:
	// study iris, trial 7: multiclass of target from sepal_length, sepal_width, petal_length, petal_width
	// Iris-setosa (p = 1.0)
	// Iris-virginica (p = 1.0)
	// Iris-setosa (p = 1.0)
	// flowers: row 1: column "petal_length": "1.5,2" is not a number, and the model reads the column as numeric
}
