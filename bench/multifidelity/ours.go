package main

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"automl/backends/local"
	"automl/backends/memory"
	"automl/plugins/mlp"
	"automl/scheduler"
	"automl/search/fidelity/fidelitytest"
	"automl/spacefile"
	"automl/trial"
)

// runOurs runs one study of our side in-process: the real scheduler, an
// in-memory store, one local slot (jobs one at a time, as Optuna's side
// runs them), and the mlp trainer (or the synthetic curves). It returns
// the best score over the epochs trained, as they were trained.
func runOurs(ctx context.Context, t task, method string, seed int, maxR, budget float64, tmp string) (run, error) {
	text := spaceYAML(t, method, seed, maxR, budget)
	space, err := spacefile.Parse(studyName(t, method, seed)+".yaml", []byte(text))
	if err != nil {
		return run{}, fmt.Errorf("space of %s: %w\n%s", method, err, text)
	}
	r := &counter{task: t, run: run{method: method, seed: seed}}
	ckpt := filepath.Join(tmp, "ckpt", space.Study)
	defer os.RemoveAll(ckpt)
	gate := gateFor(space.Study)
	defer dropGate(space.Study)
	var runner trial.Runner = mlp.Runner{}
	if t.csv == "" {
		runner = curveRunner{space: space, maxR: maxR}
	}
	d := &dispatcher{Dispatcher: local.New(1, func(trial.Spec) (trial.Runner, error) {
		return gated{inner: runner, count: r, gate: gate, ckpt: ckpt}, nil
	}), ckpt: ckpt}
	defer d.Close()
	s, err := scheduler.New(scheduler.Config{
		File: space, Store: memory.New(), Dispatcher: d, Slots: 1,
		Override: spacefile.Budget{MaxFailed: &neverFail},
		Log:      slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return run{}, err
	}
	sum, err := s.Run(ctx)
	if err != nil {
		return run{}, fmt.Errorf("%s seed %d: %w", method, seed, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.run.note = sum.Reason
	return r.run, nil
}

// neverFail is a failure budget no study reaches.
var neverFail = 1 << 30

// counter records every epoch trained and the best score so far.
type counter struct {
	task task
	mu   sync.Mutex
	run  run
}

func (c *counter) epoch(v float64, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.run.epochs++
	if ok && !math.IsNaN(v) && (len(c.run.val) == 0 || c.task.better(v, c.run.best)) {
		c.run.best = v
		c.run.at, c.run.val = append(c.run.at, c.run.epochs), append(c.run.val, v)
	}
}

// gated runs a trainer with a checkpoint directory per trial (the local
// dispatcher has no object store) and a reporter that counts epochs and
// waits for the searcher's answer to each report.
type gated struct {
	inner trial.Runner
	count *counter
	gate  *gate
	ckpt  string
}

func (g gated) Run(ctx context.Context, spec trial.Spec, rep trial.Reporter) (trial.Result, error) {
	spec.CheckpointDir = filepath.Join(g.ckpt, strconv.Itoa(spec.Key.ID))
	if err := os.MkdirAll(spec.CheckpointDir, 0o755); err != nil {
		return trial.Result{}, err
	}
	return g.inner.Run(ctx, spec, &gatedReporter{g: g, rep: rep, id: spec.Key.ID, metric: spec.Objective.Metric})
}

type gatedReporter struct {
	g      gated
	rep    trial.Reporter
	id     int
	metric string
}

func (r *gatedReporter) Report(ctx context.Context, step float64, m trial.Metrics) (trial.Directive, error) {
	v, ok := m[r.metric]
	r.g.count.epoch(v, ok)
	d, err := r.rep.Report(ctx, step, m)
	if err != nil || d == trial.Stop {
		return d, err
	}
	if stop, _ := r.g.gate.wait(gateKey{r.id, step}, 5*time.Second); stop {
		return trial.Stop, nil
	}
	return trial.Continue, nil
}

// dispatcher is the local dispatcher that also deletes the checkpoints of
// trials that became final (scheduler.CheckpointCleaner), as the NATS
// one does, so a long run does not fill the disk.
type dispatcher struct {
	*local.Dispatcher
	ckpt string
}

func (d *dispatcher) DeleteCheckpoints(_ context.Context, _ string, ids []int) error {
	for _, id := range ids {
		_ = os.RemoveAll(filepath.Join(d.ckpt, strconv.Itoa(id)))
	}
	return nil
}

// curveRunner is the synthetic task's trainer: the score 1/(1+loss) of
// fidelitytest.Curve at each epoch of the span. Its state is the epoch
// alone, so it always has a checkpoint to continue from.
type curveRunner struct {
	space *spacefile.File
	maxR  float64
}

// curveTrainer is the synthetic trainer's name in space files; curveDims
// its parameters (x0, x1, x2 in [0, 1]).
const curveTrainer = "bench-curve"

const curveDims = 3

func init() { spacefile.RegisterTrainer(spacefile.TrainerSpec{Name: curveTrainer}) }

func (c curveRunner) Run(ctx context.Context, spec trial.Spec, rep trial.Reporter) (trial.Result, error) {
	p, err := c.space.Space.PointOf(spec.Params)
	if err != nil {
		return trial.Result{}, err
	}
	to := spec.To
	if to == 0 {
		to = c.maxR
	}
	res := trial.Result{Outcome: trial.ExitDone, Step: spec.From, Checkpoint: "curve"}
	for r := spec.From + 1; r <= to; r++ {
		m := trial.Metrics{"score": 1 / (1 + fidelitytest.Curve(c.space.Space, p, r))}
		res.Step, res.Metrics = r, m
		d, err := rep.Report(ctx, r, m)
		if err != nil {
			return trial.Result{}, err
		}
		if d == trial.Stop {
			res.Outcome = trial.ExitPruned
			return res, nil
		}
	}
	return res, nil
}
