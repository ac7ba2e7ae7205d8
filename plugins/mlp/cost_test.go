package mlp

import (
	"context"
	"math"
	"testing"
	"time"

	"automl/plugins/mlp/data"
	"automl/plugins/mlp/nn"
	"automl/trial"
)

// wantParams is the architecture's formula: each dense layer has in·out
// weights and out biases, each batch norm a scale and a shift per unit.
func wantParams(in int, hidden []int, out int, batchNorm bool) int {
	n := 0
	for _, u := range hidden {
		n += in*u + u
		if batchNorm {
			n += 2 * u
		}
		in = u
	}
	return n + in*out + out
}

// TestParamsIsTheArchitecturesCount: params is, exactly, the count of
// the formula for linear models, deep and batch-normed networks, binary,
// multiclass and regression outputs, with dropout (nothing to train) and
// with folds.
func TestParamsIsTheArchitecturesCount(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cfg    map[string]any
		in     int
		hidden []int
		out    int
		bn     bool
	}{
		{"linear multiclass", map[string]any{"dataset": datasets + "iris.csv", "layers": "none"}, 4, nil, 3, false},
		{"two layers, 3 classes", map[string]any{"dataset": "synthetic:classification?n=300&features=12&informative=6&classes=3", "layers": "70-33"}, 12, []int{70, 33}, 3, false},
		{"batch norm and dropout", map[string]any{"dataset": "synthetic:classification?n=300&features=12&informative=6&classes=3", "layers": "70-33", "batch_norm": true, "dropout": 0.3}, 12, []int{70, 33}, 3, true},
		{"binary with batch norm", map[string]any{"dataset": datasets + "breast_cancer.csv", "layers": "16-8", "batch_norm": true}, 30, []int{16, 8}, 1, true},
		{"regression, 3 of units", map[string]any{"dataset": "synthetic:regression?n=200&features=5&informative=3", "num_layers": 3, "units": 10}, 5, []int{10, 10, 10}, 1, false},
		{"folds", map[string]any{"dataset": datasets + "iris.csv", "folds": 3, "layers": "9", "batch_norm": true}, 4, []int{9}, 3, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg["epochs"] = 1
			res, _ := run(t, tc.cfg, nil)
			want := wantParams(tc.in, tc.hidden, tc.out, tc.bn)
			if got, ok := res.Metrics[paramsMetric]; !ok || got != float64(want) {
				t.Errorf("params %v (reported: %v), want %d", got, ok, want)
			}
		})
	}
}

// TestInferenceMSIsReportedWithTheResult: inference_ms and params are in
// the final result, a positive finite time, and in no epoch's report; an
// objective of params is accepted by the run.
func TestInferenceMSIsReportedWithTheResult(t *testing.T) {
	for _, cfg := range []map[string]any{
		{"dataset": datasets + "iris.csv", "epochs": 3},
		{"dataset": datasets + "iris.csv", "epochs": 3, "validation": 0.0, "test": 0.0, "threads": 2},
	} {
		sp := spec(cfg, nil)
		sp.Objective = trial.Objective{Metric: paramsMetric, Direction: trial.Minimize}
		rep := &fakeReporter{}
		res, err := Runner{}.Run(context.Background(), sp, rep)
		if err != nil {
			t.Fatal(err)
		}
		ms, ok := res.Metrics[inferenceMetric]
		if !ok || !(ms > 0) || math.IsInf(ms, 0) || ms > 1000 {
			t.Errorf("%v: inference_ms %v (reported: %v), want a positive finite time", cfg, ms, ok)
		}
		if res.Metrics[paramsMetric] != float64(wantParams(4, []int{64, 64}, 3, false)) {
			t.Errorf("%v: params %v", cfg, res.Metrics[paramsMetric])
		}
		for i, m := range rep.metrics {
			for _, name := range costMetrics {
				if _, ok := m[name]; ok {
					t.Errorf("epoch %d reports %s", i+1, name)
				}
			}
		}
	}
}

// trainerFor builds (untrained) folds for a config.
func trainerFor(t *testing.T, cfg map[string]any) *trainer {
	t.Helper()
	s, ds, pf := preparedData(t, cfg)
	tr, err := newTrainer(s, ds, pf, 1)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestInferenceBatch: 256 rows of the validation features, else the
// test's, else the training's; fewer rows are repeated in order.
func TestInferenceBatch(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  map[string]any
		from func(f *fold) *nn.Mat
	}{
		{"validation, repeated", map[string]any{"dataset": datasets + "iris.csv"}, func(f *fold) *nn.Mat { return f.val.x }},
		{"validation, first rows", map[string]any{"dataset": "synthetic:classification?n=2000&features=7"}, func(f *fold) *nn.Mat { return f.val.x }},
		{"test", map[string]any{"dataset": datasets + "iris.csv", "validation": 0.0}, func(f *fold) *nn.Mat { return f.test.x }},
		{"training", map[string]any{"dataset": datasets + "iris.csv", "validation": 0.0, "test": 0.0}, func(f *fold) *nn.Mat { return f.train.x }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := trainerFor(t, tc.cfg).folds[0]
			src, b := tc.from(f), f.inferenceBatch()
			if b.R != inferenceRows || b.C != src.C {
				t.Fatalf("batch %dx%d, want %dx%d", b.R, b.C, inferenceRows, src.C)
			}
			for i := range b.R {
				want := src.Row(i % src.R)
				for j, v := range b.Row(i) {
					if v != want[j] {
						t.Fatalf("batch row %d is not row %d of %d", i, i%src.R, src.R)
					}
				}
			}
		})
	}
}

// TestInferenceChangesNoState: timing the predictions leaves weights,
// batch-norm statistics and the random generator as they were, so
// training on from a checkpoint is unaffected.
func TestInferenceChangesNoState(t *testing.T) {
	tr := trainerFor(t, map[string]any{"dataset": datasets + "iris.csv", "layers": "8-8", "batch_norm": true, "dropout": 0.4})
	never := func() bool { return false }
	if _, err := tr.epochStep(0, never); err != nil {
		t.Fatal(err)
	}
	f := tr.folds[0]
	state := func() string {
		b, err := f.pcg.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	before, rng := f.snapshot(), state()
	if ms := tr.costs()[inferenceMetric]; !(ms > 0) {
		t.Fatalf("inference_ms %v", ms)
	}
	if err := sameBits(before, f.snapshot()); err != nil {
		t.Errorf("weights or statistics changed: %v", err)
	}
	if rng != state() {
		t.Error("the random generator moved")
	}
}

func TestMedianMS(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		in   []time.Duration
		want float64
	}{
		{nil, 0},
		{[]time.Duration{3 * ms}, 3},
		{[]time.Duration{9 * ms, 1 * ms, 2 * ms, 100 * ms, 4 * ms, 3 * ms, 5 * ms}, 4},
		{[]time.Duration{4 * ms, 1 * ms, 2 * ms, 1000 * ms}, 3},
		{[]time.Duration{1500 * time.Microsecond, 250 * time.Microsecond, 700 * time.Microsecond}, 0.7},
	} {
		if got := medianMS(tc.in); got != tc.want {
			t.Errorf("medianMS(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// loadedData parses a config and loads its data set, as the trainer does.
func loadedData(t *testing.T, cfg map[string]any) (*Settings, *data.Dataset) {
	t.Helper()
	s, err := Parse(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := loadDataset(&s.Config)
	if err != nil {
		t.Fatal(err)
	}
	return s, ds
}

// preparedData is loadedData with the folds' preprocessing fitted.
func preparedData(t *testing.T, cfg map[string]any) (*Settings, *data.Dataset, []preparedFold) {
	t.Helper()
	s, ds := loadedData(t, cfg)
	pf, err := prepare(&s.Config, ds)
	if err != nil {
		t.Fatal(err)
	}
	return s, ds, pf
}
