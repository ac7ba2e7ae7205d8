package mlp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"automl/plugins/mlp/data"
	"automl/trial"
	"automl/trial/triallog"
)

// Runner is the mlp trainer. It keeps no state between runs (loaded tables
// are cached process-wide) and is safe for concurrent use.
type Runner struct{}

var _ trial.Runner = Runner{}

// Run trains one attempt: epochs From+1 .. To (To 0: the configured
// epochs), resuming from spec.CheckpointDir when From > 0 and saving there
// at the end of the span. Per-epoch metrics go to rep; a Stop directive
// ends the run as pruned, a cancelled context as aborted.
func (Runner) Run(ctx context.Context, spec trial.Spec, rep trial.Reporter) (trial.Result, error) {
	j, err := newJob(spec)
	if err != nil {
		return trial.Result{}, err
	}
	if j.from > 0 {
		triallog.Printf(rep, "mlp: resumed from the checkpoint at epoch %d", j.from)
	}
	triallog.Printf(rep, "mlp: training epochs %d to %d", j.from+1, j.to)
	if res, ended, err := j.train(ctx, rep); ended || err != nil {
		return res, err
	}
	res, err := j.finish()
	if err == nil {
		triallog.Printf(rep, "mlp: final %s", metricsText(res.Metrics))
	}
	return res, err
}

// metricsText writes metrics for a progress line: sorted, 4 digits.
func metricsText(m trial.Metrics) string {
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %.4g", k, m[k])
	}
	return strings.Join(parts, "  ")
}

// job is one attempt being run.
type job struct {
	spec         trial.Spec
	t            *trainer
	dataID       string
	modelID      string
	from, to     int
	lastReported trial.Metrics
	prepared     []preparedFold
}

// newJob parses the settings, loads and prepares the data, builds the
// models and, for a resumed span, restores the checkpoint.
func newJob(spec trial.Spec) (*job, error) {
	s, err := Parse(spec.Trainer.Config, spec.Params)
	if err != nil {
		return nil, err
	}
	if spec.MaxResource > 0 {
		// A multi-fidelity study trains each trial in spans up to the
		// algorithm's max_resource: that is the run's length, for the
		// learning-rate schedule too, whatever `epochs` says.
		s.Epochs = int(math.Round(spec.MaxResource))
	}
	ds, err := loadDataset(&s.Config)
	if err != nil {
		return nil, err
	}
	prepared, err := prepare(&s.Config, ds)
	if err != nil {
		return nil, err
	}
	if err := checkMetrics(s, ds.Task, spec.Objective.Metric, prepared[0].val != nil, prepared[0].test != nil); err != nil {
		return nil, err
	}
	seed := spec.Seed
	if s.HasSeed {
		seed = s.Seed
	}
	t, err := newTrainer(s, ds, prepared, seed)
	if err != nil {
		return nil, err
	}
	j := &job{spec: spec, t: t, dataID: dataID(&s.Config, ds), modelID: modelID(s, seed), from: int(math.Round(spec.From)), to: s.Epochs, prepared: prepared}
	if spec.To > 0 {
		j.to = int(math.Round(spec.To))
	}
	if j.from == 0 {
		return j, nil
	}
	if spec.CheckpointDir == "" {
		return nil, fmt.Errorf("%w: the job resumes at epoch %d but has no checkpoint directory", ErrCheckpoint, j.from)
	}
	c, err := readCheckpoint(spec.CheckpointDir)
	if err != nil {
		return nil, err
	}
	if err := t.resume(c, j.dataID, j.modelID); err != nil {
		return nil, err
	}
	if !t.stopped && t.epoch != j.from {
		return nil, fmt.Errorf("%w: it holds epoch %d, the job resumes at epoch %d", ErrCheckpoint, t.epoch, j.from)
	}
	return j, nil
}

// train runs epochs until the span ends or early stopping stops it. ended
// is true when the run is over without a final evaluation (pruned or
// aborted); res is then the result.
func (j *job) train(ctx context.Context, rep trial.Reporter) (res trial.Result, ended bool, err error) {
	t := j.t
	cancelled := func() bool { return ctx.Err() != nil }
	early := func(o trial.Outcome) (trial.Result, bool, error) {
		return trial.Result{Outcome: o, Step: float64(t.epoch), Metrics: j.lastReported}, true, nil
	}
	for !t.stopped && t.epoch < j.to {
		began := time.Now()
		loss, err := t.epochStep(t.epoch, cancelled)
		if errors.Is(err, errCancelled) {
			return early(trial.ExitAborted)
		}
		if err != nil {
			return trial.Result{}, true, err
		}
		t.epoch++
		t.trainLoss = loss
		m, err := t.evaluateAll(false)
		if err != nil {
			return trial.Result{}, true, err
		}
		m["train_loss"] = loss
		j.lastReported = m
		v, ok := m[t.early.Monitor]
		if !ok {
			v = math.NaN() // not measurable this epoch (an AUC with one class)
		}
		if improved, stop := t.early.observe(t.epoch, v); improved {
			for _, f := range t.folds {
				f.best = f.snapshot()
			}
		} else if stop {
			t.stopped = true
		}
		triallog.Printf(rep, "epoch %d/%d  %s  (%v)", t.epoch, j.to, metricsText(m), time.Since(began).Round(time.Millisecond))
		if t.stopped {
			triallog.Printf(rep, "mlp: early stopping after epoch %d: %s has not improved for %d epochs (best %.4g at epoch %d)",
				t.epoch, t.early.Monitor, t.early.Patience, t.early.Best, t.early.BestEpoch)
		}
		d, err := rep.Report(ctx, float64(t.epoch), m)
		if err != nil {
			return trial.Result{}, true, fmt.Errorf("report epoch %d: %w", t.epoch, err)
		}
		if d == trial.Stop {
			return early(trial.ExitPruned)
		}
		if ctx.Err() != nil {
			return early(trial.ExitAborted)
		}
	}
	return trial.Result{}, false, nil
}

// finish saves the checkpoint (the training state, to continue from) and
// evaluates the final metrics, with the best weights when early stopping
// is on, and the model's cost (params, inference_ms); then it writes the
// model and holdout files of those weights (export.go).
func (j *job) finish() (trial.Result, error) {
	t := j.t
	res := trial.Result{Outcome: trial.ExitDone, Step: float64(t.epoch)}
	if j.spec.CheckpointDir != "" {
		c, err := t.checkpoint(j.dataID, j.modelID)
		if err != nil {
			return trial.Result{}, err
		}
		if err := writeCheckpoint(j.spec.CheckpointDir, c); err != nil {
			return trial.Result{}, err
		}
		res.Checkpoint = CheckpointFile
	}
	restored := t.early.On && t.folds[0].best != nil
	if restored {
		for _, f := range t.folds {
			if err := f.restore(f.best); err != nil {
				return trial.Result{}, err
			}
		}
	}
	m, err := t.evaluateAll(true)
	if err != nil {
		return trial.Result{}, err
	}
	m["train_loss"] = t.trainLoss
	// The cost is measured after training and evaluation, with the weights
	// the result describes (and after the checkpoint is written).
	for k, v := range t.costs() {
		m[k] = v
	}
	if restored {
		m["best_epoch"] = float64(t.early.BestEpoch)
	}
	res.Metrics = m
	if j.spec.CheckpointDir != "" {
		// After every metric is measured, so writing the files changes none.
		if err := j.export(m); err != nil {
			return trial.Result{}, err
		}
	}
	return res, nil
}

// checkMetrics fails early when the objective or the monitor is a metric
// this trial will not report.
func checkMetrics(s *Settings, task data.Task, objective string, val, test bool) error {
	names := append(append(reportedMetrics(task, val, test), "best_epoch"), costMetrics...)
	if s.Patience > 0 && !val {
		return &KeyError{Key: "patience", Msg: "early stopping needs validation rows; set validation > 0 or folds, or patience: 0"}
	}
	if val && !slices.Contains(names, s.Monitor) {
		return &KeyError{Key: "monitor", Msg: fmt.Sprintf("%s is not reported for a %v task; one of %s", s.Monitor, task, strings.Join(valOnly(names), ", "))}
	}
	if objective != "" && !slices.Contains(names, objective) {
		return fmt.Errorf("objective metric %q is not reported by the mlp trainer for this %v task; it reports %s", objective, task, strings.Join(names, ", "))
	}
	return nil
}

func valOnly(names []string) []string {
	var out []string
	for _, n := range names {
		if strings.HasPrefix(n, "val_") {
			out = append(out, n)
		}
	}
	return out
}

// modelID identifies the hyperparameters and seed (not threads, which do
// not change results).
func modelID(s *Settings, seed uint64) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%d|%v|%+v", seed, s.Hidden, s.Hyper))
	return hex.EncodeToString(sum[:])
}
