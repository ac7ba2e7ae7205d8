package spacefile_test

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"automl/search"
	"automl/search/searchtest"
	"automl/search/value"
	"automl/spacefile"
	"automl/trial"
)

const goodDir = "../testdata/spaces/good"

// spaceView is a File without positions, its text and the space's
// unexported indexes, so a parsed file can be compared with the structure
// it should give.
type spaceView struct {
	Study     string
	Objective trial.Objective
	Budget    spacefile.Budget
	Algorithm spacefile.Algorithm
	Resource  string
	Trainer   trial.Trainer
	Params    []search.Param
}

func view(f *spacefile.File) spaceView {
	v := spaceView{Study: f.Study, Objective: f.Objective, Budget: f.Budget, Algorithm: f.Algorithm,
		Resource: f.Resource, Trainer: f.Trainer, Params: f.Space.Params}
	if len(v.Algorithm.Options) == 0 {
		v.Algorithm.Options = nil
	}
	return v
}

func when(parent string, vs ...value.Value) search.Condition {
	return search.Condition{Parent: parent, Values: vs}
}

var goodSpaces = map[string]spaceView{
	"all_kinds.yaml": {
		Study:     "all-kinds",
		Objective: trial.Objective{Metric: "val_accuracy", Direction: trial.Maximize},
		Budget:    spacefile.Budget{Trials: 60, Timeout: 90 * time.Minute, MaxResourceTotal: 5000, Retries: new(2), MaxLost: new(0), MaxFailed: new(7), FailFast: new(4)},
		Algorithm: spacefile.Algorithm{Name: "random", Seed: new(uint64(42))},
		Resource:  "epochs",
		Trainer: trial.Trainer{
			Plugin: "./plugins/bin/mlp-trainer",
			Config: map[string]any{
				"dataset": "testdata/breast_cancer.csv", "target": "target", "validation": 0.2,
				"hidden": []any{64, 32}, "verbose": false,
			},
			Reuse:           new(true),
			Prelaunch:       new(false),
			Pool:            "gpu-a100",
			SHA256:          "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
			Timeout:         10 * time.Minute,
			ProgressTimeout: 45 * time.Minute,
			LogLimit:        2 << 20,
		},
		Params: []search.Param{
			{Name: "learning_rate", Type: search.FloatParam, Low: 1e-5, High: 0.1, Log: true},
			{Name: "dropout", Type: search.FloatParam, Low: 0, High: 0.5},
			{Name: "momentum", Type: search.FloatParam, Low: 0.5, High: 0.95, Step: 0.05},
			{Name: "num_layers", Type: search.IntParam, Low: 1, High: 4, Step: 1},
			{Name: "units", Type: search.IntParam, Low: 16, High: 512, Log: true},
			{Name: "batch_log2", Type: search.IntParam, Low: 4, High: 10, Step: 2},
			{Name: "optimizer", Type: search.CategoricalParam, Choices: searchtest.Strings("sgd", "momentum", "adam")},
			{Name: "batch_size", Type: search.CategoricalParam, Choices: searchtest.Ints(32, 64, 128, 256)},
			{Name: "scale", Type: search.CategoricalParam, Choices: []value.Value{value.Float(0.5), value.Int(1), value.Float(2.5)}},
			{Name: "use_bias", Type: search.CategoricalParam, Choices: []value.Value{value.Bool(true), value.Bool(false)}},
			{Name: "weight_decay", Type: search.FloatParam, Low: 0, High: 0.1, Grid: searchtest.Floats(0, 0.01, 0.1)},
			{Name: "warmup", Type: search.IntParam, Low: 0, High: 100, Step: 1, Points: 5},
		},
	},
	"conditional.yaml": {
		Study:     "conditional",
		Objective: trial.Objective{Metric: "val_loss", Direction: trial.Minimize},
		Algorithm: spacefile.Algorithm{Name: "random"},
		Resource:  "epochs",
		Trainer:   trial.Trainer{Plugin: "./trainer"},
		Params: []search.Param{
			{Name: "momentum", Type: search.FloatParam, Low: 0.5, High: 0.99, When: []search.Condition{when("optimizer", searchtest.Strings("momentum")...)}},
			{Name: "optimizer", Type: search.CategoricalParam, Choices: searchtest.Strings("sgd", "momentum", "adam")},
			{Name: "beta1", Type: search.FloatParam, Low: 0.8, High: 0.999, When: []search.Condition{when("optimizer", searchtest.Strings("adam")...)}},
			{Name: "schedule", Type: search.CategoricalParam, Choices: searchtest.Strings("constant", "cosine", "step"), When: []search.Condition{when("optimizer", searchtest.Strings("sgd", "momentum")...)}},
			{Name: "step_every", Type: search.IntParam, Low: 1, High: 10, Step: 1, When: []search.Condition{when("schedule", searchtest.Strings("step")...)}},
			{Name: "step_gamma", Type: search.FloatParam, Low: 0.1, High: 0.9, When: []search.Condition{when("schedule", searchtest.Strings("step")...), when("step_every", searchtest.Ints(5, 10)...)}},
			{Name: "layers", Type: search.IntParam, Low: 1, High: 3, Step: 1},
			{Name: "units_3", Type: search.IntParam, Low: 8, High: 64, Log: true, When: []search.Condition{when("layers", searchtest.Ints(3)...)}},
			{Name: "norm", Type: search.CategoricalParam, Choices: []value.Value{value.Bool(true), value.Bool(false)}},
			{Name: "norm_eps", Type: search.FloatParam, Low: 1e-6, High: 1e-3, Log: true, When: []search.Condition{when("norm", value.Bool(true))}},
			{Name: "clip", Type: search.FloatParam, Low: 0, High: 1, Grid: searchtest.Floats(0, 0.5, 1)},
			{Name: "clip_mode", Type: search.CategoricalParam, Choices: searchtest.Strings("value", "norm"), When: []search.Condition{when("clip", value.Float(0.5), value.Int(1))}},
		},
	},
	"minimal.yaml": {
		Study:     "minimal",
		Objective: trial.Objective{Metric: "value", Direction: trial.Minimize},
		Algorithm: spacefile.Algorithm{Name: "random"},
		Resource:  "epochs",
		Trainer:   trial.Trainer{Plugin: "funcs", Config: map[string]any{"function": "branin"}},
		Params: []search.Param{
			{Name: "x0", Type: search.FloatParam, Low: -5, High: 10},
			{Name: "x1", Type: search.FloatParam, Low: 0, High: 15},
		},
	},
	"branin.yaml": {
		Study:     "branin_01",
		Objective: trial.Objective{Metric: "value", Direction: trial.Minimize},
		Budget:    spacefile.Budget{Timeout: 90 * time.Second},
		Algorithm: spacefile.Algorithm{Name: "random"},
		Resource:  "epochs",
		Trainer: trial.Trainer{Plugin: "func", Config: map[string]any{"function": "branin", "noise": 0.1, "sleep": "1ms"},
			Reuse: new(false)},
		Params: []search.Param{
			{Name: "x0", Type: search.FloatParam, Low: -5, High: 10},
			{Name: "x1", Type: search.FloatParam, Low: 0, High: 15},
		},
	},
}

// TestGoodSpaces parses every file under testdata/spaces/good, compares it
// with the structure it should give, and checks that the positions follow
// the file and that random points of it are valid.
func TestGoodSpaces(t *testing.T) {
	entries, err := os.ReadDir(goodDir)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range entries {
		name, path := e.Name(), filepath.Join(goodDir, e.Name())
		if e.IsDir() || filepath.Ext(name) != ".yaml" {
			t.Errorf("%s: good/ holds only .yaml space files", path)
			continue
		}
		seen[name] = true
		t.Run(strings.TrimSuffix(name, ".yaml"), func(t *testing.T) {
			f, err := spacefile.ParseFile(path)
			if err != nil {
				t.Fatalf("ParseFile: %v", err)
			}
			if f.Path != path {
				t.Errorf("Path = %q, want %q", f.Path, path)
			}
			if text, _ := os.ReadFile(path); string(f.Text) != string(text) {
				t.Errorf("Text is not the file as written")
			}
			want, ok := goodSpaces[name]
			if !ok {
				t.Fatalf("no expected structure for %s in goodSpaces", name)
			}
			if got := view(f); !reflect.DeepEqual(got, want) {
				t.Errorf("parsed structure differs\n got: %+v\nwant: %+v", got, want)
				for i := range min(len(got.Params), len(want.Params)) {
					if !reflect.DeepEqual(got.Params[i], want.Params[i]) {
						t.Errorf("param %d:\n got %+v\nwant %+v", i, got.Params[i], want.Params[i])
					}
				}
			}
			checkPositions(t, f)
			checkRandomPoints(t, f.Space)
		})
	}
	for name := range goodSpaces {
		if !seen[name] {
			t.Errorf("%s is expected but not in %s", name, goodDir)
		}
	}
}

// checkPositions asserts that parameters keep file order (increasing
// lines), that Index agrees, and that every placed thing has a place.
func checkPositions(t *testing.T, f *spacefile.File) {
	t.Helper()
	s := f.Space
	prev := spacefile.Pos{}
	for i, p := range s.Params {
		if s.Index(p.Name) != i {
			t.Errorf("Index(%q) = %d, want %d", p.Name, s.Index(p.Name), i)
		}
		pos, ok := spacefile.ParamPos(f, p.Name)
		if !ok || pos.Line < 1 || pos.Column < 1 {
			t.Errorf("param %q has no position", p.Name)
		}
		if i > 0 && pos.Line <= prev.Line {
			t.Errorf("param %q (line %d) does not follow %q (line %d)", p.Name, pos.Line, s.Params[i-1].Name, prev.Line)
		}
		prev = pos
		for _, c := range p.When {
			if cp, ok := spacefile.ConditionPos(f, p.Name, c.Parent); !ok || cp.Line < pos.Line {
				t.Errorf("param %q: condition on %q is placed at line %d, before the parameter", p.Name, c.Parent, cp.Line)
			}
		}
	}
	for k := range f.Trainer.Config {
		if pos, ok := spacefile.ConfigPos(f, k); !ok || pos.Line < 1 {
			t.Errorf("trainer.config.%s has no position", k)
		}
	}
	if spacefile.TrainerPos(f).Line < 1 {
		t.Errorf("trainer has no position")
	}
}

// checkRandomPoints decodes random unit vectors: each must pass Check, and
// every conditional parameter must be active in some and inactive in others.
func checkRandomPoints(t *testing.T, s *search.Space) {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 11))
	active := make([]int, s.Dim())
	const n = 500
	for range n {
		u := make([]float64, s.Dim())
		for i := range u {
			u[i] = rng.Float64()
		}
		p := s.Decode(u)
		if err := s.Check(p); err != nil {
			t.Fatalf("Check(Decode(%v)) = %v", u, err)
		}
		for i, v := range p {
			if !v.IsAbsent() {
				active[i]++
			}
		}
	}
	for i, prm := range s.Params {
		switch {
		case len(prm.When) == 0 && active[i] != n:
			t.Errorf("unconditional %q active in %d of %d points", prm.Name, active[i], n)
		case len(prm.When) > 0 && (active[i] == 0 || active[i] == n):
			t.Errorf("conditional %q active in %d of %d points; want some of each", prm.Name, active[i], n)
		}
	}
}
