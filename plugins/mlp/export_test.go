package mlp

import (
	"context"
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"automl/model"
	"automl/plugins/mlp/data"
	"automl/search/value"
	"automl/trial"
)

// trainInto runs a trial with a checkpoint directory and returns its
// result and the directory.
func trainInto(t *testing.T, cfg map[string]any, p value.Values) (trial.Result, string) {
	t.Helper()
	dir := t.TempDir()
	sp := spec(cfg, p)
	sp.CheckpointDir = dir
	res, err := Runner{}.Run(context.Background(), sp, &fakeReporter{})
	if err != nil {
		t.Fatal(err)
	}
	return res, dir
}

// rawRows reads a CSV file as text and returns its header and the records
// of the given table rows (one record a row: the test files have no
// multi-line cells).
func rawRows(t *testing.T, path string, rows []int) ([]string, [][]string) {
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
	var out [][]string
	for _, r := range rows {
		out = append(out, all[1+r])
	}
	return all[0], out
}

// splitOf recomputes a config's split (as the trainer does).
func splitOf(t *testing.T, cfg map[string]any) (*data.Dataset, data.Splits) {
	t.Helper()
	s, ds := loadedData(t, cfg)
	sp, err := splitRows(&s.Config, ds)
	if err != nil {
		t.Fatal(err)
	}
	return ds, sp
}

// TestModelFileReproducesTestMetrics trains small models of each task,
// loads the model file the trainer wrote, predicts the raw CSV rows of
// the test split and checks the predictions give the trainer's reported
// test metric (to 1e-6) and the holdout file's test predictions (to 1e-5).
func TestModelFileReproducesTestMetrics(t *testing.T) {
	withMissing := filepath.Join(t.TempDir(), "abalone_missing.csv")
	writeAbaloneWithMissing(t, withMissing)
	cases := []struct {
		name   string
		cfg    map[string]any
		metric string
	}{
		{"binary", map[string]any{"dataset": datasets + "breast_cancer.csv", "layers": "16,8"}, "test_accuracy"},
		{"multiclass", map[string]any{"dataset": datasets + "iris.csv", "layers": "12"}, "test_accuracy"},
		{"regression with categories", map[string]any{"dataset": datasets + "abalone.csv", "layers": "16"}, "test_rmse"},
		{"batch norm", map[string]any{"dataset": datasets + "wine.csv", "layers": "16,16", "batch_norm": true}, "test_accuracy"},
		{"missing values", map[string]any{"dataset": withMissing, "layers": "8", "missing_indicator": true, "impute": "mean", "task": "classification", "target": "sex"}, "test_accuracy"},
		{"early stopping", map[string]any{"dataset": datasets + "iris.csv", "layers": "8", "patience": 3, "epochs": 60, "learning_rate": 0.05}, "test_accuracy"},
		{"quantile, max_levels, frequency", map[string]any{"dataset": datasets + "abalone.csv", "layers": "16", "numeric_transform": "quantile", "max_levels": 2, "categorical_encoding": "onehot+frequency"}, "test_rmse"},
		{"log, label smoothing", map[string]any{"dataset": withMissing, "layers": "8", "numeric_transform": "log", "label_smoothing": 0.1, "max_levels": 1, "task": "classification", "target": "sex"}, "test_accuracy"},
		{"log on skewed columns", map[string]any{"dataset": datasets + "wine_quality.csv", "layers": "8", "numeric_transform": "log", "categorical_encoding": "onehot+frequency"}, "test_rmse"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := map[string]any{"epochs": 15, "learning_rate": 0.01}
			for k, v := range tc.cfg {
				cfg[k] = v
			}
			res, dir := trainInto(t, cfg, params("dropout", 0.1))
			m, err := model.Load(filepath.Join(dir, model.ModelFile))
			if err != nil {
				t.Fatal(err)
			}
			h, err := model.LoadHoldout(filepath.Join(dir, model.HoldoutFile))
			if err != nil {
				t.Fatal(err)
			}
			ds, sp := splitOf(t, cfg)
			header, recs := rawRows(t, cfg["dataset"].(string), sp.Test)
			pred, err := m.PredictRecords(header, recs, model.Options{Source: "test rows"})
			if err != nil {
				t.Fatal(err)
			}
			if pred.Len() != len(sp.Test) || h.Test == nil || h.Test.Rows != len(sp.Test) {
				t.Fatalf("%d predictions, holdout test %v, for %d test rows", pred.Len(), h.Test, len(sp.Test))
			}
			want, ok := res.Metrics[tc.metric]
			if !ok {
				t.Fatalf("no %s in %v", tc.metric, res.Metrics)
			}
			var got float64
			if m.Task() == model.Regression {
				var se float64
				for i, r := range sp.Test {
					col, _ := ds.Col(m.Target())
					d := pred.Value[i] - col.Num[r]
					se += d * d
					if math.Abs(pred.Value[i]-float64(h.Test.P[i])) > 1e-5*(1+math.Abs(pred.Value[i])) {
						t.Fatalf("row %d: predicted %v, holdout %v", i, pred.Value[i], h.Test.P[i])
					}
				}
				got = math.Sqrt(se / float64(len(sp.Test)))
			} else {
				ok := 0
				for i, r := range sp.Test {
					if pred.Class[i] == int(ds.Y[r]) {
						ok++
					}
					if pred.Label(i) != ds.Classes[int(ds.Y[r])] && pred.Class[i] == int(ds.Y[r]) {
						t.Fatalf("row %d: label %q for class %d", i, pred.Label(i), pred.Class[i])
					}
					for c, p := range pred.Probabilities(i) {
						if math.Abs(p-float64(h.Test.P[i*h.Test.Width+c])) > 1e-5 {
							t.Fatalf("row %d class %d: predicted %v, holdout %v", i, c, p, h.Test.P[i*h.Test.Width+c])
						}
					}
				}
				got = float64(ok) / float64(len(sp.Test))
			}
			if math.Abs(got-want) > 1e-6 {
				t.Errorf("%s from the model file %v, the trainer reported %v", tc.metric, got, want)
			}
			if in := m.Info(); in.Study != "t" || in.Trial != 1 || in.Metrics[tc.metric] != want || in.Epochs != int(res.Step) || len(in.Params) != 1 || len(in.Config) != len(cfg) || !slices.Contains(in.Config, model.Param{Name: "dataset", Value: `"` + cfg["dataset"].(string) + `"`}) {
				t.Errorf("model info %+v, result %+v", in, res)
			}
			if h.Val == nil || h.Val.Rows != len(sp.Folds[0].Val) || h.Val.Digest == "" {
				t.Errorf("holdout validation split %+v, want %d rows", h.Val, len(sp.Folds[0].Val))
			}
		})
	}
}

// writeAbaloneWithMissing copies abalone.csv with every 7th length and
// every 11th whole_weight blank, and every 13th rings value "?".
func writeAbaloneWithMissing(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(datasets + "abalone.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	all, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for i, rec := range all[1:] {
		if i%7 == 0 {
			rec[1] = ""
		}
		if i%11 == 0 {
			rec[4] = "NA"
		}
		if i%13 == 0 {
			rec[8] = "?"
		}
	}
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(out)
	w.WriteAll(all)
	if err := out.Close(); err != nil || w.Error() != nil {
		t.Fatal(err, w.Error())
	}
}

// TestModelFileAveragesFolds: with k folds the model averages the folds'
// probabilities, which is what the holdout's test predictions hold; the
// validation predictions cover every non-test row once (out of fold).
func TestModelFileAveragesFolds(t *testing.T) {
	cfg := map[string]any{"dataset": datasets + "iris.csv", "folds": 3, "epochs": 10, "layers": "8", "learning_rate": 0.02}
	_, dir := trainInto(t, cfg, nil)
	m, err := model.Load(filepath.Join(dir, model.ModelFile))
	if err != nil {
		t.Fatal(err)
	}
	h, err := model.LoadHoldout(filepath.Join(dir, model.HoldoutFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Folds()) != 3 {
		t.Fatalf("%d folds in the model", len(m.Folds()))
	}
	ds, sp := splitOf(t, cfg)
	if h.Val.Rows != ds.Rows-len(sp.Test) {
		t.Errorf("out-of-fold validation has %d rows, want %d", h.Val.Rows, ds.Rows-len(sp.Test))
	}
	header, recs := rawRows(t, datasets+"iris.csv", sp.Test)
	pred, err := m.PredictRecords(header, recs, model.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range recs {
		for c, p := range pred.Probabilities(i) {
			if math.Abs(p-float64(h.Test.P[i*3+c])) > 1e-5 {
				t.Fatalf("row %d class %d: predicted %v, holdout %v", i, c, p, h.Test.P[i*3+c])
			}
		}
	}
	// Each validation row's truth is its class.
	var nonTest []int
	for r := 0; r < ds.Rows; r++ {
		if !contains(sp.Test, r) {
			nonTest = append(nonTest, r)
		}
	}
	for i, r := range nonTest {
		if h.Val.Y[i] != ds.Y[r] {
			t.Fatalf("validation row %d: truth %v, table row %d has %v", i, h.Val.Y[i], r, ds.Y[r])
		}
	}
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// TestModelFileNotWrittenWithoutCheckpointDir: a run without a checkpoint
// directory writes nothing and reports what it always did; a run with one
// reports the same metrics (the files change no figure).
func TestModelFileChangesNoMetric(t *testing.T) {
	cfg := map[string]any{"dataset": datasets + "iris.csv", "epochs": 8, "layers": "8"}
	plain, _ := run(t, cfg, nil)
	res, dir := trainInto(t, cfg, nil)
	for k, v := range plain.Metrics {
		if k == "inference_ms" {
			continue // a timing
		}
		if res.Metrics[k] != v {
			t.Errorf("%s: %v with the model file, %v without", k, res.Metrics[k], v)
		}
	}
	for _, f := range []string{CheckpointFile, model.ModelFile, model.HoldoutFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("checkpoint directory lacks %s: %v", f, err)
		}
	}
}

// TestModelFileRefusesBadRows: a trained model names a missing column, a
// bad number's row and column, and takes an unseen category.
func TestModelFileRefusesBadRows(t *testing.T) {
	cfg := map[string]any{"dataset": datasets + "abalone.csv", "epochs": 3, "layers": "8"}
	_, dir := trainInto(t, cfg, nil)
	m, err := model.Load(filepath.Join(dir, model.ModelFile))
	if err != nil {
		t.Fatal(err)
	}
	header, recs := rawRows(t, datasets+"abalone.csv", []int{0, 1, 2})
	if _, err := m.PredictRecords(header[1:], [][]string{recs[0][1:]}, model.Options{Source: "a.csv"}); err == nil || !strings.Contains(err.Error(), `a.csv: column "sex": missing`) {
		t.Errorf("without sex: %v", err)
	}
	recs[1][2] = "0.4O"
	if _, err := m.PredictRecords(header, recs, model.Options{Source: "a.csv"}); err == nil || !strings.Contains(err.Error(), `row 2: column "diameter": "0.4O" is not a number`) {
		t.Errorf("a bad number: %v", err)
	}
	recs[1][2] = "0.4"
	recs[2][0] = "X" // sex: M, F or I in training
	p, err := m.PredictRecords(header, recs, model.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if v := p.Value[2]; math.IsNaN(v) || math.IsInf(v, 0) {
		t.Errorf("unseen category predicts %v", v)
	}
	if in := m.Inputs(); in[0].Name != "sex" || !in[0].Categorical || !slices.Equal(in[0].Levels, []string{"F", "I", "M"}) || in[1].Categorical {
		t.Errorf("inputs %+v", in)
	}
}

// TestCheckStateCatchesAStateThatEncodesOtherwise: a state that does not
// reproduce the fitted encoding (a transform it does not carry, here a
// shifted mean) stops the model file from being written.
func TestCheckStateCatchesAStateThatEncodesOtherwise(t *testing.T) {
	ds, sp := splitOf(t, map[string]any{"dataset": datasets + "abalone.csv"})
	pre, err := data.Fit(ds, sp.Folds[0].Train, data.PrepOptions{Standardize: true, Indicator: true})
	if err != nil {
		t.Fatal(err)
	}
	st := pre.State(ds)
	if err := checkState(pre, st, ds); err != nil {
		t.Fatalf("the exported state: %v", err)
	}
	st.Cols[2].Mean += 1e-3
	if err := checkState(pre, st, ds); err == nil || !strings.Contains(err.Error(), "feature diameter of row 1") {
		t.Errorf("a shifted mean: %v", err)
	}
}
