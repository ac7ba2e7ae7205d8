package mlp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"automl/trial"
)

// resumeEnv names the directory a re-executed test binary resumes in.
const resumeEnv = "MLP_TEST_RESUME_DIR"

// TestMain lets the checkpoint test re-execute this binary as a fresh
// process that only resumes a checkpoint (see resumeHelper).
func TestMain(m *testing.M) {
	if dir := os.Getenv(resumeEnv); dir != "" {
		if err := resumeHelper(dir); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// resumeHelper reads dir/spec.json, runs it (resuming from the checkpoint
// in dir) and writes dir/result.json.
func resumeHelper(dir string) error {
	b, err := os.ReadFile(filepath.Join(dir, "spec.json"))
	if err != nil {
		return err
	}
	var sp trial.Spec
	if err := json.Unmarshal(b, &sp); err != nil {
		return err
	}
	sp.CheckpointDir = dir
	res, err := Runner{}.Run(context.Background(), sp, &fakeReporter{})
	if err != nil {
		return err
	}
	out, err := json.Marshal(res)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "result.json"), out, 0o644)
}

// ckptConfig exercises every piece of state: dropout and shuffling (the
// RNG), Adam's moments and step count, batch-norm running statistics, a
// cosine schedule over the full length, and early stopping's best weights.
func ckptConfig() map[string]any {
	return map[string]any{"dataset": datasets + "breast_cancer.csv", "epochs": 12, "dropout": 0.3, "batch_norm": true,
		"schedule": "cosine", "patience": 50, "optimizer": "adam", "layers": "16-8", "threads": 2}
}

// TestCheckpointResumeInNewProcessIsBitIdentical trains straight to epoch
// 12; then trains to epoch 5, checkpoints, resumes in a new process and
// trains to 12. Weights, optimiser state, RNG and metrics must match bit
// for bit.
func TestCheckpointResumeInNewProcessIsBitIdentical(t *testing.T) {
	straightDir, splitDir := t.TempDir(), t.TempDir()
	sp := spec(ckptConfig(), params("learning_rate", 0.01))
	sp.CheckpointDir = straightDir
	straight, err := Runner{}.Run(context.Background(), sp, &fakeReporter{})
	if err != nil {
		t.Fatal(err)
	}
	if straight.Checkpoint != CheckpointFile {
		t.Fatalf("result checkpoint %q, want %q", straight.Checkpoint, CheckpointFile)
	}

	first := sp
	first.CheckpointDir, first.To = splitDir, 5
	if res, err := (Runner{}).Run(context.Background(), first, &fakeReporter{}); err != nil || res.Step != 5 {
		t.Fatalf("first span: step %v, err %v", res.Step, err)
	}
	second := sp
	second.CheckpointDir, second.From, second.To = "", 5, 12
	b, err := json.Marshal(second)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(splitDir, "spec.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), resumeEnv+"="+splitDir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("resume process: %v\n%s", err, out)
	}
	var resumed trial.Result
	rb, err := os.ReadFile(filepath.Join(splitDir, "result.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(rb, &resumed); err != nil {
		t.Fatal(err)
	}

	a, err := readCheckpoint(straightDir)
	if err != nil {
		t.Fatal(err)
	}
	c, err := readCheckpoint(splitDir)
	if err != nil {
		t.Fatal(err)
	}
	if a.Epoch != 12 || c.Epoch != 12 {
		t.Fatalf("epochs %d and %d, want 12", a.Epoch, c.Epoch)
	}
	for i := range a.Folds {
		fa, fc := a.Folds[i], c.Folds[i]
		for name, pair := range map[string][2][][]float32{"weights": {fa.State, fc.State}, "best": {fa.Best, fc.Best}, "adam m": {fa.OptM, fc.OptM}, "adam v": {fa.OptV, fc.OptV}} {
			if err := sameBits(pair[0], pair[1]); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
		if string(fa.Rng) != string(fc.Rng) || fa.OptT != fc.OptT {
			t.Errorf("rng or step count differ: %d vs %d", fa.OptT, fc.OptT)
		}
	}
	if err := sameMetrics(straight.Metrics, resumed.Metrics); err != nil {
		t.Errorf("straight and resumed: %v", err)
	}
}

// sameMetrics checks two results hold the same metrics, bit for bit, but
// for inference_ms: a wall-clock time, present in both, that differs from
// run to run.
func sameMetrics(a, b trial.Metrics) error {
	if len(a) != len(b) {
		return fmt.Errorf("%d metrics vs %d: %v vs %v", len(a), len(b), a, b)
	}
	for k, v := range a {
		w, ok := b[k]
		switch {
		case !ok:
			return fmt.Errorf("metric %s: %v vs none", k, v)
		case k == inferenceMetric:
			continue
		case math.Float64bits(v) != math.Float64bits(w):
			return fmt.Errorf("metric %s: %v vs %v", k, v, w)
		}
	}
	if _, ok := a[inferenceMetric]; !ok {
		return fmt.Errorf("no %s in %v", inferenceMetric, a)
	}
	return nil
}

func sameBits(a, b [][]float32) error {
	if len(a) != len(b) {
		return fmt.Errorf("%d tensors vs %d", len(a), len(b))
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return fmt.Errorf("tensor %d: %d values vs %d", i, len(a[i]), len(b[i]))
		}
		for j := range a[i] {
			if math.Float32bits(a[i][j]) != math.Float32bits(b[i][j]) {
				return fmt.Errorf("tensor %d value %d: %v vs %v", i, j, a[i][j], b[i][j])
			}
		}
	}
	return nil
}

func TestCheckpointRefusals(t *testing.T) {
	dir := t.TempDir()
	sp := spec(ckptConfig(), params("learning_rate", 0.01))
	sp.CheckpointDir, sp.To = dir, 2
	if _, err := (Runner{}).Run(context.Background(), sp, &fakeReporter{}); err != nil {
		t.Fatal(err)
	}
	resume := func(mod func(*trial.Spec)) error {
		s := sp
		s.Trainer.Config = ckptConfig()
		s.From, s.To = 2, 4
		mod(&s)
		_, err := Runner{}.Run(context.Background(), s, &fakeReporter{})
		return err
	}
	if err := resume(func(*trial.Spec) {}); err != nil {
		t.Fatalf("plain resume: %v", err)
	}
	cases := map[string]func(*trial.Spec){
		"other params": func(s *trial.Spec) { s.Params = params("learning_rate", 0.02) },
		"other data":   func(s *trial.Spec) { s.Trainer.Config["split_seed"] = 9 },
		"other seed":   func(s *trial.Spec) { s.Seed = 8 },
		"wrong epoch":  func(s *trial.Spec) { s.From = 3 },
		"no directory": func(s *trial.Spec) { s.CheckpointDir = "" },
		"missing file": func(s *trial.Spec) { s.CheckpointDir = t.TempDir() },
	}
	for name, mod := range cases {
		if err := resume(mod); !errors.Is(err, ErrCheckpoint) {
			t.Errorf("%s: error %v, want ErrCheckpoint", name, err)
		}
	}
	// Resuming at 2 after the resume above overwrote the checkpoint at 4 fails,
	// and a corrupted file is refused.
	path := filepath.Join(dir, CheckpointFile)
	b, _ := os.ReadFile(path)
	b[len(b)/2] ^= 0xff
	os.WriteFile(path, b, 0o644)
	if err := resume(func(s *trial.Spec) { s.From = 4; s.To = 5 }); !errors.Is(err, ErrCheckpoint) {
		t.Errorf("corrupt checkpoint: error %v", err)
	}
}

// TestThreadsDoNotChangeResults: the same trial on 1, 2 and 3 threads
// gives identical weights and metrics.
func TestThreadsDoNotChangeResults(t *testing.T) {
	var first *ckpt
	var firstMetrics trial.Metrics
	for _, th := range []int{1, 2, 3} {
		cfg := map[string]any{"dataset": "synthetic:classification?n=3000&features=12&informative=6&classes=3", "epochs": 3,
			"layers": "70-33", "batch_size": 256, "batch_norm": true, "dropout": 0.1, "threads": th}
		sp := spec(cfg, nil)
		sp.CheckpointDir = t.TempDir()
		res, err := Runner{}.Run(context.Background(), sp, &fakeReporter{})
		if err != nil {
			t.Fatal(err)
		}
		c, err := readCheckpoint(sp.CheckpointDir)
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first, firstMetrics = c, res.Metrics
			continue
		}
		if err := sameBits(first.Folds[0].State, c.Folds[0].State); err != nil {
			t.Errorf("threads=%d: weights differ from threads=1: %v", th, err)
		}
		if err := sameMetrics(firstMetrics, res.Metrics); err != nil {
			t.Errorf("threads=1 and threads=%d: %v", th, err)
		}
	}
}

func TestSeedDecidesResult(t *testing.T) {
	cfg := map[string]any{"dataset": datasets + "iris.csv", "epochs": 3}
	a, _ := run(t, cfg, nil)
	b, _ := run(t, cfg, nil)
	if a.Metrics["val_loss"] != b.Metrics["val_loss"] {
		t.Errorf("same seed: val_loss %v vs %v", a.Metrics["val_loss"], b.Metrics["val_loss"])
	}
	cfg["seed"] = 99
	c, _ := run(t, cfg, nil)
	if c.Metrics["val_loss"] == a.Metrics["val_loss"] {
		t.Error("different seeds, same val_loss")
	}
}
