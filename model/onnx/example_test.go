package onnx_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"automl/model"
	"automl/model/onnx"
	"automl/plugins/mlp"
	"automl/trial"
)

type quiet struct{}

func (quiet) Report(context.Context, float64, trial.Metrics) (trial.Directive, error) {
	return trial.Continue, nil
}

// Export a model the trainer saved as an ONNX graph: one input per column
// (numbers as double [N,1], categories as string [N,1]), the outputs
// label and probabilities (or value, for regression).
func ExampleExport() {
	dir, err := os.MkdirTemp("", "onnx-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	spec := trial.Spec{Key: trial.Key{Study: "iris", ID: 7}, Seed: 1, CheckpointDir: dir,
		Trainer: trial.Trainer{Plugin: "mlp", Config: map[string]any{
			"dataset": "../../testdata/datasets/iris.csv", "epochs": 5, "layers": "16", "folds": 3}}}
	if _, err := (mlp.Runner{}).Run(context.Background(), spec, quiet{}); err != nil {
		log.Fatal(err)
	}
	m, err := model.Load(filepath.Join(dir, model.ModelFile))
	if err != nil {
		log.Fatal(err)
	}

	f, err := os.Create(filepath.Join(dir, "iris.onnx"))
	if err != nil {
		log.Fatal(err)
	}
	if err := onnx.Export(m, f); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}

	s, err := onnx.FromModel(m)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: %d nets averaged, classes %v\n", s.Name, len(s.Nets), s.Classes)
	for _, c := range s.Columns {
		fmt.Printf("input %s categorical=%v\n", c.Name, c.Categorical)
	}
	// Output:
	// iris trial 7: 3 nets averaged, classes [Iris-setosa Iris-versicolor Iris-virginica]
	// input sepal_length categorical=false
	// input sepal_width categorical=false
	// input petal_length categorical=false
	// input petal_width categorical=false
}
