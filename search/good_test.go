package search_test

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"automl/search"
)

const goodDir = "../testdata/spaces/good"

// spaceView is a Space without positions and unexported indexes, so a
// parsed file can be compared with the structure it should give.
type spaceView struct {
	Study     string
	Objective search.Objective
	Budget    search.Budget
	Algorithm search.Algorithm
	Resource  string
	Trainer   search.Trainer
	Params    []search.Param
}

func view(s *search.Space) spaceView {
	v := spaceView{Study: s.Study, Objective: s.Objective, Budget: s.Budget, Algorithm: s.Algorithm,
		Resource: s.Resource, Trainer: s.Trainer}
	v.Algorithm.Pos = search.Pos{}
	if len(v.Algorithm.Options) == 0 {
		v.Algorithm.Options = nil
	}
	v.Trainer.Pos, v.Trainer.ConfigPos = search.Pos{}, nil
	for _, p := range s.Params {
		p.Pos = search.Pos{}
		var when []search.Condition
		for _, c := range p.When {
			c.Pos = search.Pos{}
			when = append(when, c)
		}
		p.When = when
		v.Params = append(v.Params, p)
	}
	return v
}

func ptr[T any](v T) *T { return &v }

func strs(ss ...string) []search.Value {
	out := make([]search.Value, len(ss))
	for i, s := range ss {
		out[i] = search.String(s)
	}
	return out
}

func ints(ns ...int64) []search.Value {
	out := make([]search.Value, len(ns))
	for i, n := range ns {
		out[i] = search.Int(n)
	}
	return out
}

func floats(xs ...float64) []search.Value {
	out := make([]search.Value, len(xs))
	for i, x := range xs {
		out[i] = search.Float(x)
	}
	return out
}

func when(parent string, vs ...search.Value) search.Condition {
	return search.Condition{Parent: parent, Values: vs}
}

var goodSpaces = map[string]spaceView{
	"all_kinds.yaml": {
		Study:     "all-kinds",
		Objective: search.Objective{Metric: "val_accuracy", Direction: search.Maximize},
		Budget:    search.Budget{Trials: 60, Timeout: 90 * time.Minute, MaxResourceTotal: 5000, Retries: ptr(2), MaxLost: ptr(0), MaxFailed: ptr(7)},
		Algorithm: search.Algorithm{Name: "random", Seed: 42, HasSeed: true},
		Resource:  "epochs",
		Trainer: search.Trainer{
			Plugin: "./plugins/bin/mlp-trainer",
			Config: map[string]any{
				"dataset": "testdata/breast_cancer.csv", "target": "target", "validation": 0.2,
				"hidden": []any{64, 32}, "verbose": false,
			},
			Reuse:     ptr(true),
			Prelaunch: ptr(false),
			Pool:      "gpu-a100",
			SHA256:    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
			Timeout:   10 * time.Minute,
		},
		Params: []search.Param{
			{Name: "learning_rate", Type: search.FloatParam, Low: 1e-5, High: 0.1, Log: true},
			{Name: "dropout", Type: search.FloatParam, Low: 0, High: 0.5},
			{Name: "momentum", Type: search.FloatParam, Low: 0.5, High: 0.95, Step: 0.05},
			{Name: "num_layers", Type: search.IntParam, Low: 1, High: 4, Step: 1},
			{Name: "units", Type: search.IntParam, Low: 16, High: 512, Log: true},
			{Name: "batch_log2", Type: search.IntParam, Low: 4, High: 10, Step: 2},
			{Name: "optimizer", Type: search.CategoricalParam, Choices: strs("sgd", "momentum", "adam")},
			{Name: "batch_size", Type: search.CategoricalParam, Choices: ints(32, 64, 128, 256)},
			{Name: "scale", Type: search.CategoricalParam, Choices: []search.Value{search.Float(0.5), search.Int(1), search.Float(2.5)}},
			{Name: "use_bias", Type: search.CategoricalParam, Choices: []search.Value{search.Bool(true), search.Bool(false)}},
			{Name: "weight_decay", Type: search.FloatParam, Low: 0, High: 0.1, Grid: floats(0, 0.01, 0.1)},
			{Name: "warmup", Type: search.IntParam, Low: 0, High: 100, Step: 1, Points: 5},
		},
	},
	"conditional.yaml": {
		Study:     "conditional",
		Objective: search.Objective{Metric: "val_loss", Direction: search.Minimize},
		Algorithm: search.Algorithm{Name: "random"},
		Resource:  "epochs",
		Trainer:   search.Trainer{Plugin: "./trainer"},
		Params: []search.Param{
			{Name: "momentum", Type: search.FloatParam, Low: 0.5, High: 0.99, When: []search.Condition{when("optimizer", strs("momentum")...)}},
			{Name: "optimizer", Type: search.CategoricalParam, Choices: strs("sgd", "momentum", "adam")},
			{Name: "beta1", Type: search.FloatParam, Low: 0.8, High: 0.999, When: []search.Condition{when("optimizer", strs("adam")...)}},
			{Name: "schedule", Type: search.CategoricalParam, Choices: strs("constant", "cosine", "step"), When: []search.Condition{when("optimizer", strs("sgd", "momentum")...)}},
			{Name: "step_every", Type: search.IntParam, Low: 1, High: 10, Step: 1, When: []search.Condition{when("schedule", strs("step")...)}},
			{Name: "step_gamma", Type: search.FloatParam, Low: 0.1, High: 0.9, When: []search.Condition{when("schedule", strs("step")...), when("step_every", ints(5, 10)...)}},
			{Name: "layers", Type: search.IntParam, Low: 1, High: 3, Step: 1},
			{Name: "units_3", Type: search.IntParam, Low: 8, High: 64, Log: true, When: []search.Condition{when("layers", ints(3)...)}},
			{Name: "norm", Type: search.CategoricalParam, Choices: []search.Value{search.Bool(true), search.Bool(false)}},
			{Name: "norm_eps", Type: search.FloatParam, Low: 1e-6, High: 1e-3, Log: true, When: []search.Condition{when("norm", search.Bool(true))}},
			{Name: "clip", Type: search.FloatParam, Low: 0, High: 1, Grid: floats(0, 0.5, 1)},
			{Name: "clip_mode", Type: search.CategoricalParam, Choices: strs("value", "norm"), When: []search.Condition{when("clip", search.Float(0.5), search.Int(1))}},
		},
	},
	"minimal.yaml": {
		Study:     "minimal",
		Objective: search.Objective{Metric: "value", Direction: search.Minimize},
		Algorithm: search.Algorithm{Name: "random"},
		Resource:  "epochs",
		Trainer:   search.Trainer{Plugin: "funcs", Config: map[string]any{"function": "branin"}},
		Params: []search.Param{
			{Name: "x0", Type: search.FloatParam, Low: -5, High: 10},
			{Name: "x1", Type: search.FloatParam, Low: 0, High: 15},
		},
	},
	"branin.yaml": {
		Study:     "branin_01",
		Objective: search.Objective{Metric: "value", Direction: search.Minimize},
		Budget:    search.Budget{Timeout: 90 * time.Second},
		Algorithm: search.Algorithm{Name: "random"},
		Resource:  "epochs",
		Trainer: search.Trainer{Plugin: "func", Config: map[string]any{"function": "branin", "noise": 0.1, "sleep": "1ms"},
			Reuse: ptr(false)},
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
			s, err := search.ParseFile(path)
			if err != nil {
				t.Fatalf("ParseFile: %v", err)
			}
			if s.File != path {
				t.Errorf("File = %q, want %q", s.File, path)
			}
			want, ok := goodSpaces[name]
			if !ok {
				t.Fatalf("no expected structure for %s in goodSpaces", name)
			}
			if got := view(s); !reflect.DeepEqual(got, want) {
				t.Errorf("parsed structure differs\n got: %+v\nwant: %+v", got, want)
				for i := range min(len(got.Params), len(want.Params)) {
					if !reflect.DeepEqual(got.Params[i], want.Params[i]) {
						t.Errorf("param %d:\n got %+v\nwant %+v", i, got.Params[i], want.Params[i])
					}
				}
			}
			checkPositions(t, s)
			checkRandomPoints(t, s)
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
func checkPositions(t *testing.T, s *search.Space) {
	t.Helper()
	for i, p := range s.Params {
		if s.Index(p.Name) != i {
			t.Errorf("Index(%q) = %d, want %d", p.Name, s.Index(p.Name), i)
		}
		if p.Pos.Line < 1 || p.Pos.Column < 1 {
			t.Errorf("param %q has no position", p.Name)
		}
		if i > 0 && p.Pos.Line <= s.Params[i-1].Pos.Line {
			t.Errorf("param %q (line %d) does not follow %q (line %d)", p.Name, p.Pos.Line, s.Params[i-1].Name, s.Params[i-1].Pos.Line)
		}
		for _, c := range p.When {
			if c.Pos.Line < p.Pos.Line {
				t.Errorf("param %q: condition on %q is placed at line %d, before the parameter", p.Name, c.Parent, c.Pos.Line)
			}
		}
	}
	for k := range s.Trainer.Config {
		if pos, ok := s.Trainer.ConfigPos[k]; !ok || pos.Line < 1 {
			t.Errorf("trainer.config.%s has no position", k)
		}
	}
	if s.Trainer.Pos.Line < 1 {
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
