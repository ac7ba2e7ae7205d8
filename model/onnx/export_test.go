package onnx

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"automl/model"
	"automl/plugins/mlp"
	"automl/plugins/mlp/data"
	"automl/trial"
)

// nullReporter lets a trial run to its end.
type nullReporter struct{}

func (nullReporter) Report(context.Context, float64, trial.Metrics) (trial.Directive, error) {
	return trial.Continue, nil
}

// train runs the mlp trainer in-process on a config and loads the model
// file it wrote.
func train(t *testing.T, cfg map[string]any, seed uint64) *model.Model {
	t.Helper()
	dir := t.TempDir()
	sp := trial.Spec{Key: trial.Key{Study: "onnx", ID: int(seed)}, Seed: seed, CheckpointDir: dir,
		Trainer: trial.Trainer{Plugin: "mlp", Config: cfg}}
	if _, err := (mlp.Runner{}).Run(context.Background(), sp, nullReporter{}); err != nil {
		t.Fatal(err)
	}
	m, err := model.Load(filepath.Join(dir, model.ModelFile))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// writeData writes abalone.csv with missing values (blank, "?", " NA "),
// a categorical column band (with a missing token and a rare level that
// some folds do not see), and a binary column old, and returns its path.
func writeData(t *testing.T) string {
	t.Helper()
	f, err := os.Open("../../testdata/datasets/abalone.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	all, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	all[0] = append(all[0], "band", "old")
	for i, rec := range all[1:] {
		shell, _ := strconv.ParseFloat(rec[7], 64)
		rings, _ := strconv.Atoi(rec[8])
		band := "lo"
		switch {
		case i%9 == 0:
			band = "?"
		case i%97 == 0:
			band = "rare"
		case shell > 0.3:
			band = "hi"
		case shell > 0.15:
			band = "mid"
		}
		old := "no"
		if rings > 10 {
			old = "yes"
		}
		if i%7 == 0 {
			rec[1] = ""
		}
		if i%11 == 0 {
			rec[4] = "?"
		}
		if i%17 == 0 {
			rec[2] = " NA "
		}
		all[1+i] = append(rec, band, old)
	}
	path := filepath.Join(t.TempDir(), "abalone_onnx.csv")
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if err := w.WriteAll(all); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// predictionRows are the first n records of the file, with every 50th
// band an unseen level and every 13th sex cell missing.
func predictionRows(t *testing.T, path string, n int) ([]string, [][]string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	all, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	header, recs := all[0], all[1:n+1]
	band, sex := slices.Index(header, "band"), slices.Index(header, "sex")
	for i, rec := range recs {
		if i%50 == 0 {
			rec[band] = "never-seen"
		}
		if i%13 == 0 {
			rec[sex] = ""
		}
	}
	return header, recs
}

// feeds are the graph's inputs for records: numbers (nil where missing)
// and trimmed strings, as docs/onnx.md tells a caller to feed them.
func feeds(t *testing.T, m *model.Model, header []string, recs [][]string) map[string][]any {
	t.Helper()
	missing := m.Missing()
	cols := map[string][]any{}
	for _, in := range m.Inputs() {
		j := slices.Index(header, in.Name)
		if j < 0 {
			t.Fatalf("no column %q in the prediction rows", in.Name)
		}
		vals := make([]any, len(recs))
		for i, rec := range recs {
			v := strings.TrimSpace(rec[j])
			switch {
			case in.Categorical:
				vals[i] = v
			case slices.Contains(missing, v):
				vals[i] = nil
			default:
				x, err := strconv.ParseFloat(v, 64)
				if err != nil {
					t.Fatalf("row %d column %q: %v", i+1, in.Name, err)
				}
				vals[i] = x
			}
		}
		cols[in.Name] = vals
	}
	return cols
}

// checkExport exports m, checks the file with onnx and compares the numpy
// evaluation of the graph with m's predictions on the rows to 1e-5.
func checkExport(t *testing.T, m *model.Model, header []string, recs [][]string) {
	t.Helper()
	var b bytes.Buffer
	if err := Export(m, &b); err != nil {
		t.Fatal(err)
	}
	want, err := m.PredictRecords(header, recs, model.Options{Source: "rows", IgnoreExtra: true})
	if err != nil {
		t.Fatal(err)
	}
	d, got := check(t, b.Bytes(), feeds(t, m, header, recs))
	if len(d.Inputs) != len(m.Inputs()) {
		t.Errorf("%d graph inputs, the model reads %d columns", len(d.Inputs), len(m.Inputs()))
	}
	const tol = 1e-5
	var worst float64
	defer func() { t.Logf("%d rows: largest difference %.3g", len(recs), worst) }()
	if m.Task() == model.Regression {
		if len(got.Value) != len(recs) {
			t.Fatalf("%d values for %d rows", len(got.Value), len(recs))
		}
		for i, v := range want.Value {
			diff := math.Abs(got.Value[i][0] - v)
			if diff > tol*math.Max(1, math.Abs(v)) {
				t.Fatalf("row %d: onnx value %v, Predict %v (diff %g)", i+1, got.Value[i][0], v, diff)
			}
			worst = math.Max(worst, diff)
		}
		return
	}
	if len(got.Probabilities) != len(recs) || len(got.Label) != len(recs) {
		t.Fatalf("%d probability rows and %d labels for %d rows", len(got.Probabilities), len(got.Label), len(recs))
	}
	for i := range recs {
		p := want.Probabilities(i)
		for j, w := range p {
			diff := math.Abs(got.Probabilities[i][j] - w)
			if diff > tol {
				t.Fatalf("row %d class %s: onnx probability %v, Predict %v (diff %g)", i+1, want.Classes[j], got.Probabilities[i][j], w, diff)
			}
			worst = math.Max(worst, diff)
		}
		if got.Label[i] != want.Label(i) && !nearTie(p) {
			t.Fatalf("row %d: onnx label %q, Predict %q (probabilities %v)", i+1, got.Label[i], want.Label(i), p)
		}
	}
}

// nearTie: the two best probabilities are within float32 rounding.
func nearTie(p []float64) bool {
	s := slices.Clone(p)
	slices.Sort(s)
	return s[len(s)-1]-s[len(s)-2] < 1e-6
}

// TestExportMatchesPredict trains the mlp trainer on data with missing
// numbers and categories (binary, multiclass, regression; k folds, batch
// norm, several activations), exports each model, checks the file with
// onnx's checker and compares the graph's numpy evaluation on 1,000 rows
// (unseen levels and missing cells among them) with model.Predict to 1e-5.
func TestExportMatchesPredict(t *testing.T) {
	python(t)
	path := writeData(t)
	header, recs := predictionRows(t, path, 1000)
	base := func(kv ...any) map[string]any {
		cfg := map[string]any{"dataset": path, "epochs": 8, "learning_rate": 0.01, "missing_indicator": true, "dropout": 0.1}
		for i := 0; i < len(kv); i += 2 {
			cfg[kv[i].(string)] = kv[i+1]
		}
		return cfg
	}
	cases := []struct {
		name string
		cfg  map[string]any
	}{
		{"binary gelu batch norm", base("target", "old", "drop", []any{"target"}, "layers", "16,8", "activation", "gelu", "batch_norm", true)},
		{"binary 3 folds", base("target", "old", "drop", []any{"target"}, "layers", "8", "folds", 3, "test", 0.2)},
		{"multiclass tanh mean imputation", base("target", "sex", "task", "classification", "drop", []any{"old"}, "layers", "12", "activation", "tanh", "impute", "mean")},
		{"regression 3 folds leaky relu", base("target", "target", "drop", []any{"old"}, "layers", "16", "activation", "leaky_relu", "folds", 3, "batch_norm", true, "test", 0.2)},
		{"regression sigmoid unscaled", base("target", "target", "drop", []any{"old"}, "layers", "8", "activation", "sigmoid", "standardize", false)},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := train(t, c.cfg, uint64(i+1))
			s, err := FromModel(m)
			if err != nil {
				t.Fatal(err)
			}
			folds, _ := c.cfg["folds"].(int)
			indicators := 0
			for _, in := range s.Nets[0].Inputs {
				if in.Indicator >= 0 {
					indicators++
				}
			}
			if len(s.Nets) != max(folds, 1) || !slices.Contains(s.Columns, Column{Name: "band", Categorical: true}) || indicators < 3 {
				t.Fatalf("%d nets (want %d), columns %v, %d missing indicators (want 3 or more)", len(s.Nets), max(folds, 1), s.Columns, indicators)
			}
			checkExport(t, m, header, recs)
		})
	}
	t.Run("ensemble", func(t *testing.T) {
		a := train(t, cases[0].cfg, 11)
		b := train(t, cases[1].cfg, 12) // 3 folds: each weighs a third of its member's 1
		e, err := model.NewEnsemble([]*model.Model{a, b, a}, []int{2, 1, 1})
		if err != nil {
			t.Fatal(err)
		}
		checkExport(t, e, header, recs)
	})
}

// TestExportRefusesUnknownTransform: a fitted transform the graph cannot
// express is an error naming the column, not a silently different model.
func TestExportRefusesUnknownTransform(t *testing.T) {
	m := train(t, map[string]any{"dataset": "../../testdata/datasets/iris.csv", "epochs": 2, "layers": "4"}, 1)
	s, err := FromModel(m)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Nets) != 1 || len(s.Columns) != 4 || s.Task.String() != model.Multiclass {
		t.Fatalf("spec of iris: %d nets, %d columns, task %v", len(s.Nets), len(s.Columns), s.Task)
	}
	f := m.Folds()[0]
	f.Prep.Cols = slices.Clone(f.Prep.Cols)
	f.Prep.Cols[2].Transforms = append(f.Prep.Cols[2].Transforms, dataTransform("quantile"))
	_, err = netOf(f, 1)
	if want := fmt.Sprintf("column %q: the \"quantile\" transform has no ONNX form", f.Prep.Cols[2].Name); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want one containing %s", err, want)
	}
}

func dataTransform(name string) data.Transform { return data.Transform{Name: name} }

// TestExportRefusesMixedMissingTokens: ensemble members that read other
// cells as missing cannot share the graph's one list of tokens.
func TestExportRefusesMixedMissingTokens(t *testing.T) {
	iris := "../../testdata/datasets/iris.csv"
	a := train(t, map[string]any{"dataset": iris, "epochs": 2, "layers": "4"}, 1)
	b := train(t, map[string]any{"dataset": iris, "epochs": 2, "layers": "4", "missing_values": []any{"?"}}, 2)
	e, err := model.NewEnsemble([]*model.Model{a, b}, []int{1, 1})
	if err != nil {
		t.Fatal(err)
	}
	err = Export(e, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "ensemble member 2 (trial 2) reads other cells as missing") {
		t.Fatalf("err = %v, want the members' missing tokens named", err)
	}
	if _, err := FromModel(must(model.NewEnsemble([]*model.Model{a, a}, []int{1, 3}))); err != nil {
		t.Fatalf("members alike: %v", err)
	}
}

func must(m *model.Model, err error) *model.Model {
	if err != nil {
		panic(err)
	}
	return m
}
