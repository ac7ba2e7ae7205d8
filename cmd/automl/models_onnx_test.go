package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"automl/internal/modelfiles"
	"automl/model"
	"automl/model/onnx"
	"automl/plugins/mlp"
	"automl/trial"
)

type quietReporter struct{}

func (quietReporter) Report(context.Context, float64, trial.Metrics) (trial.Directive, error) {
	return trial.Continue, nil
}

// automl model export --format onnx writes the ONNX graph of the kept
// model (package model/onnx checks the graph itself with onnx and numpy):
// the same bytes as onnx.Export of the model file, and --json says so.
func TestModelExportONNX(t *testing.T) {
	dir, c := modelsFixture(t, "all")
	best := bestCompleted(c)[0]
	// The best trial's model file becomes a real one: iris, trained here.
	train := t.TempDir()
	spec := trial.Spec{Key: trial.Key{Study: c.Study.Name, ID: best}, Seed: 1, CheckpointDir: train,
		Trainer: trial.Trainer{Plugin: "mlp", Config: map[string]any{
			"dataset": filepath.Join("..", "..", "testdata", "datasets", "iris.csv"), "epochs": 3, "layers": "8", "missing_indicator": true}}}
	if _, err := (mlp.Runner{}).Run(context.Background(), spec, quietReporter{}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(train, model.ModelFile))
	if err != nil {
		t.Fatal(err)
	}
	src := modelfiles.Model(modelfiles.Root(filepath.Join(dir, "automl.db")), c.Study.Name, best)
	if err := modelfiles.WriteAtomic(src, bytes.NewReader(b)); err != nil {
		t.Fatal(err)
	}
	m, err := model.Load(src)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := onnx.Export(m, &want); err != nil {
		t.Fatal(err)
	}

	dst := filepath.Join(dir, "iris.onnx")
	out, errOut, code := automl(t, dir, "model", "export", c.Study.Name, "--best", "--format", "onnx", "-o", dst)
	if code != 0 || !strings.Contains(out, "trial "+strconv.Itoa(best)) || !strings.Contains(out, "ONNX") {
		t.Fatalf("export --format onnx: exit %d: %s%s", code, out, errOut)
	}
	got, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("%s: %d bytes, not onnx.Export's %d", dst, len(got), want.Len())
	}

	out, errOut, code = automl(t, dir, "model", "export", c.Study.Name, "--trial", strconv.Itoa(best), "--format", "onnx", "-o", dst, "--json")
	var j struct {
		Format string `json:"format"`
		Bytes  int    `json:"bytes"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &j) != nil || j.Format != "onnx" || j.Bytes != want.Len() {
		t.Errorf("export --format onnx --json: exit %d: %s%s", code, out, errOut)
	}
}
