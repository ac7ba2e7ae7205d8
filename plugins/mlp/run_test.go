package mlp

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"

	"automl/search/value"
	"automl/trial"
	"automl/trial/triallog"
)

// fakeReporter records reports and answers Stop from epoch stopAt (0: never).
type fakeReporter struct {
	mu       sync.Mutex
	steps    []float64
	metrics  []trial.Metrics
	stopAt   float64
	cancel   func() // called at epoch cancelAt
	cancelAt float64
}

func (r *fakeReporter) Report(_ context.Context, step float64, m trial.Metrics) (trial.Directive, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.steps = append(r.steps, step)
	r.metrics = append(r.metrics, m)
	if r.cancel != nil && step >= r.cancelAt {
		r.cancel()
	}
	if r.stopAt > 0 && step >= r.stopAt {
		return trial.Stop, nil
	}
	return trial.Continue, nil
}

const datasets = "../../testdata/datasets/"

func spec(cfg map[string]any, params value.Values) trial.Spec {
	return trial.Spec{Key: trial.Key{Study: "t", ID: 1}, Params: params, Seed: 7,
		Trainer: trial.Trainer{Plugin: "mlp", Config: cfg}}
}

func params(kv ...any) value.Values {
	var vs value.Values
	for i := 0; i < len(kv); i += 2 {
		var v value.Value
		switch x := kv[i+1].(type) {
		case int:
			v = value.Int(int64(x))
		case float64:
			v = value.Float(x)
		case string:
			v = value.String(x)
		case bool:
			v = value.Bool(x)
		}
		vs = append(vs, value.NamedValue{Name: kv[i].(string), Value: v})
	}
	return vs
}

func run(t *testing.T, cfg map[string]any, p value.Values) (trial.Result, *fakeReporter) {
	t.Helper()
	rep := &fakeReporter{}
	res, err := Runner{}.Run(context.Background(), spec(cfg, p), rep)
	if err != nil {
		t.Fatal(err)
	}
	return res, rep
}

func TestRunReportsEveryEpochAndTaskMetrics(t *testing.T) {
	cases := []struct {
		name    string
		dataset string
		want    []string
		absent  []string
		check   func(m trial.Metrics) bool
	}{
		{"binary", datasets + "breast_cancer.csv", []string{"val_accuracy", "val_auc", "val_f1", "test_auc"}, []string{"val_rmse"},
			func(m trial.Metrics) bool { return m["test_accuracy"] > 0.9 && m["test_auc"] > 0.95 }},
		{"multiclass", datasets + "iris.csv", []string{"val_accuracy", "val_f1", "test_accuracy"}, []string{"val_auc", "val_r2"},
			func(m trial.Metrics) bool { return m["test_accuracy"] > 0.8 }},
		{"regression", "synthetic:regression?n=600&features=5&informative=3&noise=1&seed=3", []string{"val_rmse", "val_mae", "val_r2", "test_r2"}, []string{"val_accuracy"},
			func(m trial.Metrics) bool { return m["test_r2"] > 0.95 }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, rep := run(t, map[string]any{"dataset": tc.dataset, "epochs": 25, "learning_rate": 0.01}, nil)
			if res.Outcome != trial.ExitDone || res.Step != 25 {
				t.Fatalf("outcome %v step %v, want done at 25", res.Outcome, res.Step)
			}
			if len(rep.steps) != 25 || rep.steps[0] != 1 || rep.steps[24] != 25 {
				t.Fatalf("reported steps %v, want 1..25", rep.steps)
			}
			for _, m := range append(tc.want, "train_loss", "val_loss", "test_loss") {
				if _, ok := res.Metrics[m]; !ok {
					t.Errorf("result lacks %s: %v", m, res.Metrics)
				}
			}
			for _, m := range tc.absent {
				if _, ok := res.Metrics[m]; ok {
					t.Errorf("result has %s for a %s task", m, tc.name)
				}
			}
			if _, ok := rep.metrics[3]["val_loss"]; !ok {
				t.Errorf("epoch report lacks val_loss: %v", rep.metrics[3])
			}
			if !tc.check(res.Metrics) {
				t.Errorf("poor result %v", res.Metrics)
			}
			if rep.metrics[24]["train_loss"] >= rep.metrics[0]["train_loss"] {
				t.Errorf("train loss did not fall: %v -> %v", rep.metrics[0]["train_loss"], rep.metrics[24]["train_loss"])
			}
		})
	}
}

// TestLearnsXORToZeroError trains the full trainer on the four XOR rows
// (no split: the data are the whole truth) to zero training error.
func TestLearnsXORToZeroError(t *testing.T) {
	path := t.TempDir() + "/xor.csv"
	writeCSV(t, path, "a,b,target\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n")
	cfg := map[string]any{"dataset": path, "validation": 0.0, "test": 0.0, "layers": "8", "dropout": 0.0, "batch_size": 4,
		"learning_rate": 0.05, "epochs": 400, "standardize": false}
	res, _ := run(t, cfg, nil)
	if res.Metrics["train_loss"] > 0.05 {
		t.Errorf("train loss %v after 400 epochs", res.Metrics["train_loss"])
	}
	// The same trial trained by hand (same seed): every row classified right.
	s, ds, pf := preparedData(t, cfg)
	tr, err := newTrainer(s, ds, pf, 7)
	if err != nil {
		t.Fatal(err)
	}
	for e := 0; e < 400; e++ {
		if _, err := tr.epochStep(e, func() bool { return false }); err != nil {
			t.Fatal(err)
		}
	}
	f := tr.folds[0]
	if acc := f.evaluate(&f.train, ds.Task, tr.loss, 2)["accuracy"]; acc != 1 {
		t.Errorf("xor training accuracy %v, want 1", acc)
	}
}

func TestUnknownKeysAndParamsAreErrors(t *testing.T) {
	cases := []struct {
		name string
		cfg  map[string]any
		p    value.Values
		want []string
	}{
		{"typo param", map[string]any{"dataset": datasets + "iris.csv"}, params("learnign_rate", 0.1), []string{`parameter "learnign_rate"`, `did you mean "learning_rate"`}},
		{"unknown config key", map[string]any{"dataset": datasets + "iris.csv", "epoch": 3}, nil, []string{"trainer config epoch", "unknown key", `"epochs"`}},
		{"data key as param", map[string]any{"dataset": datasets + "iris.csv"}, params("validation", 0.3), []string{`parameter "validation"`, "trainer.config"}},
		{"bad choice", map[string]any{"dataset": datasets + "iris.csv"}, params("optimizer", "adagrad"), []string{`parameter "optimizer"`, "adagrad"}},
		{"out of range", map[string]any{"dataset": datasets + "iris.csv", "dropout": 1.0}, nil, []string{"dropout", "[0, 1)"}},
		{"float for int", map[string]any{"dataset": datasets + "iris.csv"}, params("batch_size", 12.5), []string{"batch_size", "integer"}},
		{"missing units_i", map[string]any{"dataset": datasets + "iris.csv"}, params("num_layers", 3, "units_1", 8, "units_2", 8), []string{"units_3"}},
		{"layers with num_layers", map[string]any{"dataset": datasets + "iris.csv", "layers": []any{8, 8}}, params("num_layers", 2), []string{"layers"}},
		{"no dataset", map[string]any{}, nil, []string{"dataset", "missing"}},
		{"folds and validation", map[string]any{"dataset": datasets + "iris.csv", "folds": 3, "validation": 0.2}, nil, []string{"folds"}},
		{"huber on classes", map[string]any{"dataset": datasets + "iris.csv", "loss": "huber"}, nil, []string{"loss", "regression"}},
		{"missing file", map[string]any{"dataset": datasets + "nope.csv"}, nil, []string{"nope.csv", "no such file"}},
		{"missing target", map[string]any{"dataset": datasets + "iris.csv", "target": "species"}, nil, []string{`"species"`, "sepal_length"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Runner{}.Run(context.Background(), spec(tc.cfg, tc.p), &fakeReporter{})
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestDivergenceFailsWithReason(t *testing.T) {
	_, err := Runner{}.Run(context.Background(), spec(map[string]any{"dataset": "synthetic:regression?n=300&features=5&noise=1", "epochs": 20},
		params("optimizer", "sgd", "learning_rate", 5.0, "dropout", 0.0)), &fakeReporter{})
	if !errors.Is(err, ErrDiverged) {
		t.Fatalf("error %v, want divergence", err)
	}
	for _, w := range []string{"at epoch", "learning_rate 5 may be too high"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
}

func TestStopDirectivePrunes(t *testing.T) {
	rep := &fakeReporter{stopAt: 3}
	res, err := Runner{}.Run(context.Background(), spec(map[string]any{"dataset": datasets + "iris.csv", "epochs": 20}, nil), rep)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != trial.ExitPruned || res.Step != 3 || len(rep.steps) != 3 {
		t.Errorf("outcome %v step %v after %d reports, want pruned at 3", res.Outcome, res.Step, len(rep.steps))
	}
}

func TestCancelledContextAborts(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rep := &fakeReporter{cancel: cancel, cancelAt: 2}
	res, err := Runner{}.Run(ctx, spec(map[string]any{"dataset": datasets + "iris.csv", "epochs": 50}, nil), rep)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != trial.ExitAborted || res.Step != 2 {
		t.Errorf("outcome %v step %v, want aborted at 2", res.Outcome, res.Step)
	}
}

// TestEarlyStoppingRestoresBest: training stops `patience` epochs after
// the best validation loss, and the result's val_loss is the one reported
// at the best epoch (the best weights were restored).
func TestEarlyStoppingRestoresBest(t *testing.T) {
	res, rep := run(t, map[string]any{"dataset": datasets + "sonar.csv", "epochs": 300, "patience": 5, "learning_rate": 0.01, "dropout": 0.0}, nil)
	best := int(res.Metrics["best_epoch"])
	if res.Step >= 300 || int(res.Step) != best+5 {
		t.Fatalf("stopped at %v with best epoch %d, want best+5 < 300", res.Step, best)
	}
	reported := rep.metrics[best-1]["val_loss"]
	if res.Metrics["val_loss"] != reported {
		t.Errorf("final val_loss %v, reported at best epoch %d: %v", res.Metrics["val_loss"], best, reported)
	}
	for i, m := range rep.metrics {
		if m["val_loss"] < reported {
			t.Errorf("epoch %d had val_loss %v below the best %v", i+1, m["val_loss"], reported)
		}
	}
}

func TestMonitorHigherIsBetter(t *testing.T) {
	res, rep := run(t, map[string]any{"dataset": datasets + "wine.csv", "epochs": 200, "patience": 4, "monitor": "val_accuracy"}, nil)
	best := int(res.Metrics["best_epoch"])
	for i, m := range rep.metrics[:best-1] {
		if m["val_accuracy"] >= rep.metrics[best-1]["val_accuracy"] {
			t.Errorf("epoch %d val_accuracy %v already reached the best %v of epoch %d", i+1, m["val_accuracy"], rep.metrics[best-1]["val_accuracy"], best)
		}
	}
}

func TestFoldsAverageMetrics(t *testing.T) {
	res, rep := run(t, map[string]any{"dataset": datasets + "iris.csv", "folds": 4, "epochs": 5}, nil)
	if len(rep.steps) != 5 {
		t.Fatalf("%d reports", len(rep.steps))
	}
	s, _ := Parse(map[string]any{"dataset": datasets + "iris.csv", "folds": 4, "epochs": 5}, nil)
	ds, _ := loadDataset(&s.Config)
	pf, _ := prepare(&s.Config, ds)
	if len(pf) != 4 || pf[0].val == nil || pf[0].val.x.R+pf[0].train.x.R != 120 {
		t.Fatalf("folds %d", len(pf))
	}
	// Train the same folds by hand; the reported val_accuracy is their mean.
	tr, _ := newTrainer(s, ds, pf, 7)
	for e := 0; e < 5; e++ {
		tr.epochStep(e, func() bool { return false })
	}
	var sum float64
	for _, f := range tr.folds {
		sum += f.evaluate(f.val, ds.Task, tr.loss, 3)["accuracy"]
	}
	if math.Abs(sum/4-rep.metrics[4]["val_accuracy"]) > 1e-12 || math.Abs(sum/4-res.Metrics["val_accuracy"]) > 1e-12 {
		t.Errorf("val_accuracy %v (result %v), mean over folds %v", rep.metrics[4]["val_accuracy"], res.Metrics["val_accuracy"], sum/4)
	}
}

func TestSpanToAndObjective(t *testing.T) {
	sp := spec(map[string]any{"dataset": datasets + "iris.csv", "epochs": 50}, nil)
	sp.To = 4
	rep := &fakeReporter{}
	res, err := Runner{}.Run(context.Background(), sp, rep)
	if err != nil || res.Step != 4 || len(rep.steps) != 4 {
		t.Fatalf("To 4: step %v, %d reports, err %v", res.Step, len(rep.steps), err)
	}
	sp.Objective = trial.Objective{Metric: "val_auc", Direction: trial.Maximize}
	if _, err := (Runner{}).Run(context.Background(), sp, rep); err == nil || !strings.Contains(err.Error(), "val_auc") {
		t.Errorf("objective val_auc on a multiclass task: %v", err)
	}
}

func TestConditionalArchitectureParams(t *testing.T) {
	cases := []struct {
		p    value.Values
		cfg  map[string]any
		want []int
	}{
		{params("num_layers", 2, "units_1", 16, "units_2", 8), nil, []int{16, 8}},
		{params("num_layers", 1, "units_1", 16, "units_2", 8), nil, []int{16}}, // units_2 inactive
		{params("num_layers", 3, "units", 12), nil, []int{12, 12, 12}},
		{params("units_1", 5, "units_2", 6), nil, []int{5, 6}},
		{params("layers", "32-16-8"), nil, []int{32, 16, 8}},
		{params("num_layers", 0), nil, []int{}},
		{nil, map[string]any{"layers": []any{7, 3}}, []int{7, 3}},
		{nil, nil, []int{64, 64}},
	}
	for _, tc := range cases {
		cfg := map[string]any{"dataset": "x.csv"}
		for k, v := range tc.cfg {
			cfg[k] = v
		}
		s, err := Parse(cfg, tc.p)
		if err != nil {
			t.Fatalf("%v: %v", tc.p, err)
		}
		if !slices.Equal(s.Hidden, tc.want) {
			t.Errorf("%v %v: hidden %v, want %v", tc.p, tc.cfg, s.Hidden, tc.want)
		}
	}
}

func TestSplitColumnAndMissingValues(t *testing.T) {
	path := t.TempDir() + "/d.csv"
	var b strings.Builder
	b.WriteString("x,colour,part,target\n")
	for i := 0; i < 120; i++ {
		x := "?"
		if i%7 != 0 {
			x = strings.TrimRight(strings.TrimRight(strings.Repeat("1", 1+i%3), "0"), ".")
		}
		part := []string{"train", "train", "train", "val", "test"}[i%5]
		colour := []string{"red", "blue", "NA"}[i%3]
		b.WriteString(x + "," + colour + "," + part + "," + []string{"a", "b"}[i%2] + "\n")
	}
	writeCSV(t, path, b.String())
	res, _ := run(t, map[string]any{"dataset": path, "split_column": "part", "missing_indicator": true, "epochs": 3}, nil)
	if _, ok := res.Metrics["test_accuracy"]; !ok {
		t.Errorf("no test metrics with a split column: %v", res.Metrics)
	}
	s, _ := Parse(map[string]any{"dataset": path, "split_column": "part", "missing_indicator": true}, nil)
	ds, _ := loadDataset(&s.Config)
	pf, err := prepare(&s.Config, ds)
	if err != nil {
		t.Fatal(err)
	}
	// x, x_missing, colour=blue, colour=red, colour_missing; part is not a feature.
	if pf[0].width != 5 || pf[0].train.x.R != 72 || pf[0].val.x.R != 24 || pf[0].test.x.R != 24 {
		t.Errorf("width %d, rows %d/%d/%d", pf[0].width, pf[0].train.x.R, pf[0].val.x.R, pf[0].test.x.R)
	}
}

// logReporter keeps the trial's log, as a worker's reporter does.
type logReporter struct {
	fakeReporter
	lines []string
}

func (r *logReporter) AddLine(l triallog.Line) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, l.Text)
}

// The trainer's progress is its log: the span, a line per epoch with its
// metrics, early stopping, the final metrics.
func TestProgressLinesGoToTheLog(t *testing.T) {
	rep := &logReporter{}
	cfg := map[string]any{"dataset": datasets + "sonar.csv", "epochs": 300, "patience": 3, "learning_rate": 0.01, "dropout": 0.0}
	res, err := Runner{}.Run(context.Background(), spec(cfg, nil), rep)
	if err != nil {
		t.Fatal(err)
	}
	n := int(res.Step)
	if len(rep.lines) != n+3 {
		t.Fatalf("%d lines for %d epochs, want one per epoch and 3 more:\n%s", len(rep.lines), n, strings.Join(rep.lines, "\n"))
	}
	if rep.lines[0] != "mlp: training epochs 1 to 300" {
		t.Errorf("first line %q", rep.lines[0])
	}
	if !strings.HasPrefix(rep.lines[1], "epoch 1/300  train_loss ") || !strings.Contains(rep.lines[1], " val_loss ") {
		t.Errorf("epoch line %q", rep.lines[1])
	}
	if want := fmt.Sprintf("mlp: early stopping after epoch %d: val_loss has not improved for 3 epochs", n); !strings.HasPrefix(rep.lines[n+1], want) {
		t.Errorf("line %q, want it to start %q", rep.lines[n+1], want)
	}
	if last := rep.lines[n+2]; !strings.HasPrefix(last, "mlp: final best_epoch ") || !strings.Contains(last, "test_accuracy") {
		t.Errorf("last line %q", last)
	}
}
