//go:build pytorch

// A driver for the PyTorch example, outside CI (it needs python3-torch):
//
//	go test -tags pytorch -v ./examples/pytorch
//
// PYTHON names the interpreter with torch when python3 on PATH lacks it
// (PYTHON=/usr/bin/python3 for Debian's python3-torch). It runs random trials of space.yaml through the exec trainer in plugin
// processes, prints each trial's figures, and checks that a job resumed
// from its checkpoint reaches the same model as one that never stopped.
package pytorch_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"automl/plugins"
	_ "automl/plugins/exec"
	"automl/search"
	_ "automl/search/algorithms"
	"automl/search/random"
	"automl/search/value"
	"automl/spacefile"
	"automl/trial"
)

func TestMain(m *testing.M) {
	if len(os.Args) == 4 && os.Args[1] == "plugin" && os.Args[2] == "serve" {
		if err := plugins.ServeBuiltin(os.Args[3]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

type reporter struct {
	steps []float64
	last  trial.Metrics
}

func (r *reporter) Report(_ context.Context, step float64, m trial.Metrics) (trial.Directive, error) {
	r.steps = append(r.steps, step)
	r.last = m
	return trial.Continue, nil
}

func setup(t *testing.T) (*spacefile.File, *plugins.Slot) {
	space, err := spacefile.ParseFile("space.yaml")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir("../..")
	exe, _ := os.Executable()
	slot := plugins.NewSlot(plugins.HostOptions{Self: exe})
	t.Cleanup(func() { slot.Close() })
	return space, slot
}

func job(space *spacefile.File, id int, params value.Values) trial.Spec {
	cfg := maps.Clone(space.Trainer.Config)
	if py := os.Getenv("PYTHON"); py != "" {
		cmd := slices.Clone(cfg["command"].([]any))
		cmd[0] = py
		cfg["command"] = cmd
	}
	return trial.Spec{
		Key:      trial.Key{Study: space.Study, ID: id, Attempt: 1},
		Params:   params,
		Trainer:  trial.Trainer{Plugin: space.Trainer.Plugin, Config: cfg, Timeout: space.Trainer.Timeout},
		Resource: space.Resource,
		Seed:     uint64(id),
	}
}

func TestPyTorchRandomTrials(t *testing.T) {
	space, slot := setup(t)
	rng := rand.New(rand.NewPCG(11, 0))
	best := -1.0
	for id := range 8 {
		p, err := random.Sampler{}.Sample(space.Space, &search.History{}, rng)
		if err != nil {
			t.Fatal(err)
		}
		rep := &reporter{}
		t0 := time.Now()
		res, err := slot.Run(context.Background(), job(space, id, space.Space.Values(p)), rep)
		if err != nil {
			t.Fatalf("trial %d: %v", id, err)
		}
		acc := res.Metrics["val_accuracy"]
		best = max(best, acc)
		params, _ := json.Marshal(space.Space.Values(p))
		t.Logf("trial %d: %v val_accuracy %.4f val_loss %.4f epochs %d wall %v %s",
			id, res.Outcome, acc, res.Metrics["val_loss"], len(rep.steps), time.Since(t0).Round(time.Millisecond), params)
	}
	t.Logf("best val_accuracy %.4f", best)
}

func TestPyTorchResume(t *testing.T) {
	space, slot := setup(t)
	params := value.Values{
		{Name: "lr", Value: value.Float(0.01)}, {Name: "optimizer", Value: value.String("adam")},
		{Name: "layers", Value: value.Int(2)}, {Name: "units", Value: value.Int(64)},
		{Name: "activation", Value: value.String("relu")}, {Name: "dropout", Value: value.Float(0.1)},
		{Name: "weight_decay", Value: value.Float(1e-5)}, {Name: "batch_size", Value: value.Int(64)},
	}
	run := func(from, to float64, dir string) *reporter {
		s := job(space, 1, params)
		s.From, s.To, s.CheckpointDir = from, to, dir
		rep := &reporter{}
		res, err := slot.Run(context.Background(), s, rep)
		if err != nil || res.Checkpoint != dir {
			t.Fatalf("job %v..%v: %+v %v", from, to, res, err)
		}
		return rep
	}
	straight := run(0, 20, filepath.Join(t.TempDir(), "a"))
	dir := filepath.Join(t.TempDir(), "b")
	run(0, 10, dir)
	resumed := run(10, 20, dir)
	t.Logf("epoch 20: straight val_accuracy %.4f val_loss %.6f; resumed at 10: val_accuracy %.4f val_loss %.6f",
		straight.last["val_accuracy"], straight.last["val_loss"], resumed.last["val_accuracy"], resumed.last["val_loss"])
	if straight.last["val_loss"] != resumed.last["val_loss"] {
		t.Errorf("resumed run differs from the straight one")
	}
}
