package funcs

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"automl/search/benchfn"
	"automl/search/value"
	"automl/trial"
)

type reports struct {
	steps  []float64
	values []float64
	stopAt float64
}

func (r *reports) Report(_ context.Context, step float64, m trial.Metrics) (trial.Directive, error) {
	r.steps = append(r.steps, step)
	r.values = append(r.values, m[Metric])
	if r.stopAt > 0 && step >= r.stopAt {
		return trial.Stop, nil
	}
	return trial.Continue, nil
}

func spec(fn string, params value.Values, extra map[string]any) trial.Spec {
	cfg := map[string]any{"function": fn}
	for k, v := range extra {
		cfg[k] = v
	}
	return trial.Spec{Key: trial.Key{Study: "s", ID: 1, Attempt: 1}, Params: params, Trainer: trial.Trainer{Plugin: "funcs", Config: cfg}, Seed: 5}
}

func TestEvaluatesAtTheMinimiser(t *testing.T) {
	for _, name := range benchfn.Names() {
		f, _ := benchfn.Get(name)
		res, err := Runner{}.Run(context.Background(), spec(name, f.Argmin, nil), &reports{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if res.Outcome != trial.ExitDone || math.Abs(res.Metrics[Metric]-f.Min) > 1e-6 {
			t.Errorf("%s at its minimiser: %v %v, want %v", name, res.Outcome, res.Metrics, f.Min)
		}
	}
}

func TestLearningCurveConvergesAndPrunes(t *testing.T) {
	f, _ := benchfn.Get("branin")
	s := spec("branin", f.Argmin, map[string]any{"max_resource": 9})
	s.From, s.To = 0, 9
	rep := &reports{}
	res, err := Runner{}.Run(context.Background(), s, rep)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.steps) != 9 || rep.steps[0] != 1 || rep.steps[8] != 9 {
		t.Fatalf("steps %v, want 1..9", rep.steps)
	}
	for i := 1; i < len(rep.values); i++ {
		if rep.values[i] >= rep.values[i-1] {
			t.Fatalf("curve not decreasing: %v", rep.values)
		}
	}
	if math.Abs(res.Metrics[Metric]-f.Min) > 1e-9 || res.Step != 9 {
		t.Fatalf("final %v at step %v, want %v at 9", res.Metrics, res.Step, f.Min)
	}
	// A resumed span continues the same curve.
	s.From, s.To = 3, 9
	rep2 := &reports{}
	if _, err := (Runner{}).Run(context.Background(), s, rep2); err != nil {
		t.Fatal(err)
	}
	if len(rep2.steps) != 6 || rep2.values[0] != rep.values[3] {
		t.Fatalf("resumed curve %v %v, want steps 4..9 continuing %v", rep2.steps, rep2.values, rep.values)
	}
	rep3 := &reports{stopAt: 2}
	res, _ = Runner{}.Run(context.Background(), s, rep3)
	if res.Outcome != trial.ExitPruned || res.Step != 4 {
		t.Fatalf("stop directive: %v at %v", res.Outcome, res.Step)
	}
}

func TestBadConfigAndParams(t *testing.T) {
	for _, tc := range []struct {
		cfg  map[string]any
		want string
	}{
		{map[string]any{"function": "nope"}, "unknown function"},
		{map[string]any{"function": "branin", "sleep": "fast"}, "sleep"},
		{map[string]any{"function": "branin", "noise": -1.0}, "noise"},
		{map[string]any{"function": "branin", "colour": "red"}, "colour: unknown key"},
		{map[string]any{}, "function: missing"},
	} {
		s := trial.Spec{Trainer: trial.Trainer{Config: tc.cfg}}
		_, err := Runner{}.Run(context.Background(), s, &reports{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("config %v: %v, want %q", tc.cfg, err, tc.want)
		}
	}
	_, err := Runner{}.Run(context.Background(), spec("branin", value.Values{{Name: "x0", Value: value.Float(1)}}, nil), &reports{})
	if err == nil || !strings.Contains(err.Error(), "x1") {
		t.Errorf("missing parameter: %v", err)
	}
}

func TestRecordAndNoise(t *testing.T) {
	path := filepath.Join(t.TempDir(), "evals.jsonl")
	f, _ := benchfn.Get("branin")
	a, _ := Runner{}.Run(context.Background(), spec("branin", f.Argmin, map[string]any{"record": path, "noise": 0.5}), &reports{})
	b, _ := Runner{}.Run(context.Background(), spec("branin", f.Argmin, map[string]any{"record": path, "noise": 0.5}), &reports{})
	if a.Metrics[Metric] != b.Metrics[Metric] || a.Metrics[Metric] == f.Min {
		t.Errorf("noise must be seeded by the trial and present: %v %v", a.Metrics, b.Metrics)
	}
	data, err := os.ReadFile(path)
	if err != nil || strings.Count(string(data), "\n") != 2 || !strings.Contains(string(data), `"trial": 1, "attempt": 1`) {
		t.Errorf("record file: %q %v", data, err)
	}
}

func TestCheckpointAtSpanEndAndResume(t *testing.T) {
	dir := t.TempDir()
	f, _ := benchfn.Get("branin")
	s := spec("branin", f.Argmin, map[string]any{"max_resource": 9})
	s.From, s.To, s.CheckpointDir = 0, 3, dir
	res, err := Runner{}.Run(context.Background(), s, &reports{})
	if err != nil || res.Checkpoint != checkpointFile {
		t.Fatalf("span 0-3: %+v %v", res, err)
	}
	s.From, s.To = 3, 9
	if _, err := (Runner{}).Run(context.Background(), s, &reports{}); err != nil {
		t.Fatalf("resume at 3 from its checkpoint: %v", err)
	}
	s.From = 5
	if _, err := (Runner{}).Run(context.Background(), s, &reports{}); err == nil || !strings.Contains(err.Error(), "checkpoint holds step") {
		t.Fatalf("resume at 5 from a step-9 checkpoint: %v", err)
	}
	s.CheckpointDir = t.TempDir()
	if _, err := (Runner{}).Run(context.Background(), s, &reports{}); err == nil {
		t.Fatal("resume without a checkpoint accepted")
	}
}
