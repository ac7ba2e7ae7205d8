// The exec example end to end: its space file validates, and its trials
// run through the exec trainer in plugin processes (this test binary
// serving the built-in exec, as `automl plugin serve exec` does).
package exec_test

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"automl/plugins"
	_ "automl/plugins/exec"
	_ "automl/search/algorithms"
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

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// setup parses the space file and returns a slot whose plugins run from
// the repository root, as a worker started there would.
func setup(t *testing.T) (*spacefile.File, *plugins.Slot, *syncBuffer) {
	space, err := spacefile.ParseFile("space.yaml")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir("../..")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	log := &syncBuffer{}
	slot := plugins.NewSlot(plugins.HostOptions{Self: exe, Stderr: log})
	t.Cleanup(func() { slot.Close() })
	return space, slot, log
}

func specFor(space *spacefile.File, id int, lr, momentum, l2 float64, batch int64) trial.Spec {
	return trial.Spec{
		Key: trial.Key{Study: space.Study, ID: id, Attempt: 1},
		Params: value.Values{
			{Name: "lr", Value: value.Float(lr)},
			{Name: "momentum", Value: value.Float(momentum)},
			{Name: "l2", Value: value.Float(l2)},
			{Name: "batch_size", Value: value.Int(batch)},
		},
		Trainer:  trial.Trainer{Plugin: space.Trainer.Plugin, Config: space.Trainer.Config, Timeout: space.Trainer.Timeout},
		Resource: space.Resource,
		Seed:     uint64(id),
	}
}

func TestExecExampleTrials(t *testing.T) {
	space, slot, _ := setup(t)
	pid := 0
	for id, p := range []struct {
		lr, momentum, l2 float64
		batch            int64
	}{{0.05, 0.5, 1e-4, 64}, {0.002, 0, 1e-3, 256}, {0.1, 0.9, 1e-6, 16}} {
		rep := &reporter{}
		res, err := slot.Run(context.Background(), specFor(space, id, p.lr, p.momentum, p.l2, p.batch), rep)
		if err != nil {
			t.Fatalf("trial %d: %v", id, err)
		}
		loss := res.Metrics["val_loss"]
		if res.Outcome != trial.ExitDone || len(rep.steps) != 8 || res.Step != 8 || math.IsNaN(loss) || loss <= 0 || loss != rep.last["val_loss"] {
			t.Errorf("trial %d: result %+v, reports at %v", id, res, rep.steps)
		}
		if id > 0 && slot.Pid() != pid {
			t.Errorf("trial %d ran in a new process: the exec built-in should be reused", id)
		}
		pid = slot.Pid()
	}
}

// A job over epochs 0..3 then one over 3..5 from its checkpoint reach the
// same model as one job over 0..5.
func TestExecExampleResumesFromCheckpoint(t *testing.T) {
	space, slot, log := setup(t)
	run := func(id int, from, to float64, dir string) *reporter {
		s := specFor(space, id, 0.05, 0.5, 1e-4, 64)
		s.From, s.To, s.CheckpointDir = from, to, dir
		rep := &reporter{}
		res, err := slot.Run(context.Background(), s, rep)
		if err != nil || res.Outcome != trial.ExitDone || res.Checkpoint != dir {
			t.Fatalf("job %v..%v: result %+v, error %v", from, to, res, err)
		}
		return rep
	}
	straight := run(1, 0, 5, filepath.Join(t.TempDir(), "a"))
	dir := filepath.Join(t.TempDir(), "b")
	run(1, 0, 3, dir)
	resumed := run(1, 3, 5, dir)
	if fmt.Sprint(resumed.steps) != "[4 5]" {
		t.Errorf("resumed job reported steps %v, want [4 5]", resumed.steps)
	}
	if !strings.Contains(log.String(), "resumed from epoch 3") {
		t.Errorf("the log does not show the resume:\n%s", log)
	}
	if a, b := straight.last["val_loss"], resumed.last["val_loss"]; a != b {
		t.Errorf("val_loss at epoch 5: %v straight, %v resumed", a, b)
	}
}

// Asked to resume at an epoch its checkpoint directory does not hold
// (empty, or another epoch), the script fails instead of training a fresh
// model under continued epoch numbers.
func TestExecExampleRefusesResumeWithoutCheckpoint(t *testing.T) {
	space, slot, _ := setup(t)
	dir := filepath.Join(t.TempDir(), "c")
	s := specFor(space, 2, 0.05, 0.5, 1e-4, 64)
	s.From, s.To, s.CheckpointDir = 0, 2, dir
	if res, err := slot.Run(context.Background(), s, &reporter{}); err != nil || res.Outcome != trial.ExitDone {
		t.Fatalf("job 0..2: result %+v, error %v", res, err)
	}
	for _, c := range []struct {
		name string
		dir  string
		want string
	}{
		{"no checkpoint", filepath.Join(t.TempDir(), "empty"), "there is no checkpoint"},
		{"another epoch", dir, "the checkpoint holds epoch 2"},
	} {
		s.From, s.To, s.CheckpointDir = 3, 5, c.dir
		rep := &reporter{}
		res, err := slot.Run(context.Background(), s, rep)
		msg := res.Error
		if err != nil {
			msg = err.Error()
		}
		if res.Outcome == trial.ExitDone || len(rep.steps) != 0 || !strings.Contains(msg, c.want) {
			t.Errorf("%s: result %+v, error %v, reports %v; want a failure saying %q", c.name, res, err, rep.steps, c.want)
		}
	}
}
