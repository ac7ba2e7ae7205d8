package mlp

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"

	"automl/search"
	_ "automl/search/algorithms"
	"automl/search/random"
	"automl/spacefile"
	"automl/trial"
)

// TestExampleSpaceParsesAndRunsATrial parses examples/mlp/space.yaml from
// the repository root (its dataset path is relative to the working
// directory, as users run it) and runs one sampled trial for two epochs.
func TestExampleSpaceParsesAndRunsATrial(t *testing.T) {
	t.Chdir("../..")
	sp, err := spacefile.ParseFile("examples/mlp/space.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !sp.Space.Conditional() || sp.Trainer.Plugin != "mlp" || sp.Objective.Metric != "val_accuracy" {
		t.Fatalf("unexpected space: plugin %q objective %q", sp.Trainer.Plugin, sp.Objective.Metric)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 3; i++ {
		pt, err := random.Sampler{}.Sample(sp.Space, &search.History{}, rng)
		if err != nil {
			t.Fatal(err)
		}
		s := trial.Spec{Key: trial.Key{Study: sp.Study, ID: i}, Params: sp.Space.Values(pt), Seed: uint64(i), To: 2,
			Trainer:   trial.Trainer{Plugin: sp.Trainer.Plugin, Config: sp.Trainer.Config},
			Objective: sp.Objective}
		rep := &fakeReporter{}
		res, err := Runner{}.Run(context.Background(), s, rep)
		if err != nil {
			t.Fatalf("trial %v: %v", s.Params, err)
		}
		if res.Outcome != trial.ExitDone || len(rep.steps) != 2 {
			t.Fatalf("trial %v: outcome %v after %d reports", s.Params, res.Outcome, len(rep.steps))
		}
		if _, ok := res.Metrics["val_accuracy"]; !ok {
			t.Fatalf("no objective metric in %v", res.Metrics)
		}
	}
}

const spaceHead = `study: s
objective: {metric: %OBJ%, direction: maximize}
algorithm: {name: random, seed: 1}
trainer:
  plugin: mlp
  config:
%CFG%
parameters:
%PARAMS%
`

func space(cfg, params, obj string) string {
	if obj == "" {
		obj = "val_accuracy"
	}
	r := strings.NewReplacer("%CFG%", cfg, "%PARAMS%", params, "%OBJ%", obj)
	return r.Replace(spaceHead)
}

const irisCfg = "    dataset: ../../testdata/datasets/iris.csv"

func TestSpaceCheck(t *testing.T) {
	good := "  learning_rate: {type: float, low: 1.0e-4, high: 1.0e-1, log: true}"
	cases := []struct {
		name   string
		cfg    string
		params string
		obj    string
		want   []string // substrings of the error; none: valid
	}{
		{"valid", irisCfg + "\n    epochs: 5", good, "", nil},
		{"valid conditional", irisCfg, good + "\n  num_layers: {type: int, low: 1, high: 2}\n  units_1: {type: int, low: 4, high: 8}\n  units_2: {type: int, low: 4, high: 8, when: {num_layers: [2]}}", "", nil},
		{"synthetic", "    dataset: synthetic:classification?n=200&features=6", good, "", nil},
		{"unknown config key", irisCfg + "\n    epoch: 5", good, "", []string{"s.yaml:8:12:", "trainer.config.epoch", `did you mean "epochs"`}},
		{"bad config value", irisCfg + "\n    validation: 1.5", good, "", []string{"trainer.config.validation", "[0, 1)"}},
		{"unknown param", irisCfg, "  lerning_rate: {type: float, low: 0.1, high: 0.2}", "", []string{"s.yaml:9:", `parameter "lerning_rate"`, `did you mean "learning_rate"`}},
		{"data key as param", irisCfg, "  test: {type: float, low: 0.1, high: 0.2}", "", []string{`parameter "test"`, "trainer.config"}},
		{"float for int", irisCfg, "  batch_size: {type: float, low: 16, high: 64}", "", []string{`parameter "batch_size"`, "type: int"}},
		{"bad choice", irisCfg, "  optimizer: {type: categorical, choices: [adam, lbfgs]}", "", []string{`parameter "optimizer"`, "lbfgs"}},
		{"range out of bounds", irisCfg, "  dropout: {type: float, low: 0.0, high: 1.0}", "", []string{`parameter "dropout"`, "bound 1"}},
		{"missing file", "    dataset: ../../testdata/datasets/nope.csv", good, "", []string{"trainer.config.dataset", "no such file"}},
		{"missing target", irisCfg + "\n    target: species", good, "", []string{"trainer.config.target", `"species"`, "sepal_length"}},
		{"missing dataset", "    epochs: 3", good, "", []string{"dataset", "missing"}},
		{"bad synthetic", "    dataset: synthetic:classification?rows=5", good, "", []string{"trainer.config.dataset", `"rows"`}},
		{"unused units", irisCfg, "  num_layers: {type: int, low: 1, high: 2}\n  units_1: {type: int, low: 4, high: 8}\n  units_2: {type: int, low: 4, high: 8}\n  units_3: {type: int, low: 4, high: 8}", "", []string{`parameter "units_3"`, "never used"}},
		{"units missing", irisCfg, "  num_layers: {type: int, low: 1, high: 3}\n  units_1: {type: int, low: 4, high: 8}\n  units_2: {type: int, low: 4, high: 8}", "", []string{`parameter "num_layers"`, "units_3"}},
		{"objective of another task", irisCfg + "\n    task: regression", good, "", []string{"objective.metric", `"val_accuracy"`, "val_r2"}},
		{"objective without validation", irisCfg + "\n    validation: 0", good, "", []string{"objective.metric", "validation is 0"}},
		{"unknown objective", irisCfg, good, "accuracy", []string{"objective.metric", `"accuracy"`}},
		{"objective params", irisCfg, good, "params", nil},
		{"objective inference_ms", irisCfg + "\n    validation: 0\n    test: 0", good, "inference_ms", nil},
		{"ensemble", irisCfg, good + "\nensemble: {size: 10, metric: accuracy}", "", nil},
		{"ensemble without validation", irisCfg + "\n    validation: 0", good + "\nensemble: {size: 10}", "params", []string{"s.yaml:11:1: ensemble:", "validation is 0"}},
		{"misspelt cost objective", irisCfg, good, "param", []string{"objective.metric", `"param"`, "params, inference_ms"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := spacefile.Parse("s.yaml", []byte(space(tc.cfg, tc.params, tc.obj)))
			if tc.want == nil {
				if err != nil {
					t.Fatalf("valid space rejected: %v", err)
				}
				return
			}
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
