package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"automl/plugins/mlp"
	"automl/scheduler"
	"automl/spacefile"
	"automl/trial"
)

// The "done means" for multi-fidelity: a trial paused at a rung on
// one worker process is promoted and resumed on another, from the
// checkpoint the first one left in the JetStream object store, with its
// epochs continuing (its reports after the promotion start at From+1).
//
// How the handover is forced: one Hyperband bracket (n trials at 1 epoch,
// the best n/2 promoted to 2, and so on) runs one job at a time
// (--parallel 1) with only worker A. When its last trial is created, the
// n-1 others are paused on A (at epoch 1, or further when promotions have
// begun before the test sees it); the scheduler is SIGKILLed then, and A
// with it. The restarted scheduler sends the rest of the bracket to worker
// B, the only worker left, and at least one of the n/2 trials it promotes
// from the first rung is one of those n-1. An mlp job on iris takes
// milliseconds, so its bracket is 8 trials long (15 jobs): the kill lands
// well before the bracket ends even when the test polls late; a Python
// job takes a second, so 4 (7 jobs) suffice for exec.
func TestPromotionResumesOnAnotherWorker(t *testing.T) {
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, space string
		n           int // trials in the bracket; max_resource is n epochs
		// straight, when set, trains a trial's params in one uninterrupted
		// run to epoch `to` of a maxResource-epoch run and returns the objective at
		// each epoch.
		straight func(t *testing.T, space *spacefile.File, rec trial.Record, to, maxResource float64) []float64
	}{
		{name: "mlp", n: 8, space: fmt.Sprintf(`study: mf-mlp
objective: {metric: val_accuracy, direction: maximize}
budget: {trials: 8}
algorithm: {name: hyperband, seed: 5, min_resource: 1, max_resource: 8, reduction_factor: 2, brackets: 1}
trainer:
  plugin: mlp
  reuse: true
  config: {dataset: %q, validation: 0.3, test: 0, split_seed: 1, threads: 1, seed: 1}
parameters:
  learning_rate: {type: float, low: 1.0e-3, high: 3.0e-2, log: true}
  units: {type: int, low: 8, high: 64, log: true}
  dropout: {type: float, low: 0.0, high: 0.3}
`, filepath.Join(repo, "testdata/datasets/iris.csv")), straight: straightMLP},
		// train.py refuses to resume without a checkpoint of epoch From, so
		// a promotion that completes proves the checkpoint came across.
		{name: "exec", n: 4, space: fmt.Sprintf(`study: mf-exec
objective: {metric: val_loss, direction: minimize}
budget: {trials: 4}
algorithm: {name: hyperband, seed: 5, min_resource: 1, max_resource: 4, reduction_factor: 2, brackets: 1}
trainer:
  plugin: exec
  reuse: true
  config:
    command: [python3, %q, --lr, "{lr}", --momentum, "{momentum}"]
    env: {PYTHONDONTWRITEBYTECODE: 1}
parameters:
  lr: {type: float, low: 1.0e-3, high: 0.1, log: true}
  momentum: {type: float, low: 0.0, high: 0.9}
  batch_size: {type: categorical, choices: [128, 256]}
`, filepath.Join(repo, "examples/exec/train.py"))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "space.yaml"), []byte(tc.space), 0o644); err != nil {
				t.Fatal(err)
			}
			space, err := spacefile.ParseFile(filepath.Join(dir, "space.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			db := filepath.Join(dir, "automl.db")

			// Phase 1: worker A until the bracket's last trial is created.
			start := time.Now()
			s1, a := startFleetOf(t, dir, "1", "A")
			var atKill []trial.Record
			waitFor(t, time.Minute, "the bracket's last trial", func() bool {
				atKill = loadTrials(t, db, space.Study)
				return len(atKill) == tc.n
			})
			s1.signal(t, syscall.SIGKILL)
			s1.wait(t, 10*time.Second)
			a.signal(t, syscall.SIGKILL)
			a.wait(t, 10*time.Second)
			atKill = loadTrials(t, db, space.Study) // what the killed scheduler committed
			if len(atKill) != tc.n || slices.ContainsFunc(atKill, func(r trial.Record) bool { return r.State == trial.Completed }) {
				t.Fatalf("the scheduler was killed too late to leave paused trials:\n%s", describeTrials(atKill))
			}

			t.Logf("phase 1 (worker A) took %v", time.Since(start).Round(time.Millisecond))
			start = time.Now()
			// Phase 2: the same study continues, with worker B only.
			s2, b := startFleetOf(t, dir, "2", "B")
			if code := s2.wait(t, 2*time.Minute); code != 0 {
				t.Fatalf("resumed search exited %d:\n%s\nworker B:\n%s", code, tailFile(s2.log, 30), tailFile(b.log, 30))
			}
			t.Logf("phase 2 (worker B) took %v", time.Since(start).Round(time.Millisecond))
			b.signal(t, syscall.SIGTERM)
			b.wait(t, 30*time.Second)

			final := loadTrials(t, db, space.Study)
			handed := 0
			for _, before := range atKill {
				rung, ok := pausedAt(before)
				if !ok || before.Worker != "A" {
					continue
				}
				after := final[before.ID]
				if after.Resource <= rung {
					continue // not promoted again
				}
				handed++
				if after.Worker != "B" || after.State != trial.Completed || strings.Contains(after.Note, "restarted from 0") {
					t.Errorf("trial %d, paused on A at %g: ended %s at %g on %q (%s)", after.ID, rung, after.State, after.Resource, after.Worker, after.Note)
				}
				reps := loadReports(t, db, space.Study, after.ID)
				// A trial paused at the kill trained its rung in attempts up
				// to its last; one queued or running past the rung was in its
				// first attempt past it, which B may take up as it is.
				trainedRung := before.Attempt
				if before.State != trial.Paused {
					trainedRung--
				}
				checkContinued(t, after, rung, trainedRung, reps)
				if tc.straight != nil {
					want := tc.straight(t, space, after, after.Resource, float64(tc.n))
					var got []float64
					for _, r := range reps {
						got = append(got, r.Metrics[space.Objective.Metric])
					}
					if !slices.Equal(got, want) {
						t.Errorf("trial %d: %s over epochs 1..%g across the handover %v, uninterrupted %v", after.ID, space.Objective.Metric, after.Resource, got, want)
					}
				}
				t.Logf("trial %d: epochs 1..%g on A (attempt <= %d), %g..%g on B (attempt %d), %s %.4g",
					after.ID, rung, before.Attempt, rung+1, after.Resource, after.Attempt, space.Objective.Metric, after.Value)
			}
			if handed == 0 {
				t.Fatalf("no trial paused on A was resumed on B; at the kill:\n%s", describeTrials(atKill))
			}
			for _, r := range final {
				if r.State != trial.Completed {
					t.Errorf("trial %d ended %s: %s", r.ID, r.State, r.Error)
				}
			}
		})
	}
}

// startFleetOf starts automl search (one job at a time, its NATS server
// on a fresh port, no local slots) and one worker of one slot, named.
func startFleetOf(t *testing.T, dir, run, worker string) (*proc, *proc) {
	t.Helper()
	port := freePort(t)
	s := startAutoml(t, dir, "search"+run, "search", "-space", "space.yaml", "--listen", fmt.Sprintf("127.0.0.1:%d", port),
		"--workers", "0", "--parallel", "1", "--top", "0")
	waitPort(t, port)
	w := startAutoml(t, dir, "worker-"+worker, append([]string{"worker", "--gpus", "none", "--slots", "1", "--name", worker, "--checkpoint-dir", dir},
		joinFlags(t, dir, port)...)...)
	return s, w
}

// pausedAt says where a trial's checkpoint is, when it has one to be
// resumed from: the rung it is paused at, or the rung its promotion (a job
// in flight) starts from.
func pausedAt(r trial.Record) (float64, bool) {
	switch {
	case r.Checkpoint == "":
		return 0, false
	case r.State == trial.Paused:
		return r.Resource, true
	case (r.State == trial.Pending || r.State == trial.Running) && r.From > 0:
		return r.From, true
	}
	return 0, false
}

// checkContinued checks a trial's reports: one per epoch 1..Resource; the
// epochs up to the rung from attempts up to attemptBefore (never trained
// again), the later ones from attempts after it.
func checkContinued(t *testing.T, rec trial.Record, rung float64, attemptBefore int, reps []scheduler.Report) {
	t.Helper()
	if len(reps) != int(rec.Resource) {
		t.Errorf("trial %d: %d reports, want one per epoch 1..%g", rec.ID, len(reps), rec.Resource)
		return
	}
	for i, r := range reps {
		epoch := float64(i + 1)
		after := r.Attempt > attemptBefore
		if r.Step != epoch || after != (epoch > rung) {
			t.Errorf("trial %d: report %d is epoch %g of attempt %d; want epoch %g from an attempt %s %d (resumed at %g)",
				rec.ID, i, r.Step, r.Attempt, epoch, map[bool]string{true: ">", false: "<="}[epoch > rung], attemptBefore, rung)
		}
	}
}

// straightMLP trains the trial's configuration to `to` epochs in one run,
// in this process, as the workers' mlp trainer does (the config fixes the
// seed; the span is part of a max_resource-long run).
func straightMLP(t *testing.T, space *spacefile.File, rec trial.Record, to, maxResource float64) []float64 {
	t.Helper()
	spec := trial.Spec{
		Key:         trial.Key{Study: space.Study, ID: rec.ID, Attempt: 1},
		Params:      rec.Params,
		Trainer:     trial.Trainer{Plugin: "mlp", Config: space.Trainer.Config},
		Objective:   space.Objective,
		Resource:    space.Resource,
		To:          to,
		MaxResource: maxResource,
	}
	var curve curveReporter
	if _, err := (mlp.Runner{}).Run(context.Background(), spec, &curve); err != nil {
		t.Fatalf("uninterrupted run of trial %d: %v", rec.ID, err)
	}
	var out []float64
	for _, m := range curve {
		out = append(out, m[space.Objective.Metric])
	}
	return out
}

type curveReporter []trial.Metrics

func (c *curveReporter) Report(_ context.Context, _ float64, m trial.Metrics) (trial.Directive, error) {
	*c = append(*c, m)
	return trial.Continue, nil
}

// loadTrials reads a study's trial records (through a running search's
// socket, or from the file), indexed by id.
func loadTrials(t *testing.T, db, study string) []trial.Record {
	t.Helper()
	st, err := openReader(db)
	if err != nil {
		return nil // not created yet
	}
	defer st.Close()
	state, err := st.Load(context.Background(), study)
	if err != nil {
		return nil
	}
	for i, r := range state.Trials {
		if r.ID != i {
			t.Fatalf("trial records out of order: %d at %d", r.ID, i)
		}
	}
	return state.Trials
}

func loadReports(t *testing.T, db, study string, id int) []scheduler.Report {
	t.Helper()
	st, err := openReader(db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	reps, err := st.Reports(context.Background(), study, id)
	if err != nil {
		t.Fatal(err)
	}
	return reps
}

func describeTrials(recs []trial.Record) string {
	var b strings.Builder
	for _, r := range recs {
		fmt.Fprintf(&b, "  %d %s on %q span %g..%g resource %g rung %d attempt %d checkpoint %q\n", r.ID, r.State, r.Worker, r.From, r.To, r.Resource, r.Rung, r.Attempt, r.Checkpoint)
	}
	return b.String()
}

// Each multi-fidelity algorithm runs end to end from the space file
// (automl search, embedded NATS, two local slots): every trial ends
// completed or pruned, the rung algorithms promote trials from their
// checkpoints (each epoch of a trial reported once), and median stopping
// trains the trials it does not stop to max_resource. All four with the
// mlp trainer; with the exec trainer (a Python process per job, seconds
// each on a loaded machine) asha for promotions and median for stops,
// hyperband being TestPromotionResumesOnAnotherWorker's.
func TestMultiFidelityAlgorithmsEndToEnd(t *testing.T) {
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	trainers := map[string]string{
		"mlp": fmt.Sprintf(`objective: {metric: val_accuracy, direction: maximize}
trainer:
  plugin: mlp
  reuse: true
  config: {dataset: %q, validation: 0.3, test: 0, split_seed: 1, threads: 1}
parameters:
  learning_rate: {type: float, low: 1.0e-3, high: 3.0e-2, log: true}
  units: {type: int, low: 8, high: 64, log: true}
`, filepath.Join(repo, "testdata/datasets/iris.csv")),
		"exec": fmt.Sprintf(`objective: {metric: val_loss, direction: minimize}
trainer:
  plugin: exec
  reuse: true
  config:
    command: [python3, %q, --lr, "{lr}", --momentum, "0.5"]
    env: {PYTHONDONTWRITEBYTECODE: 1}
parameters:
  lr: {type: float, low: 1.0e-3, high: 0.1, log: true}
  batch_size: {type: categorical, choices: [128, 256]}
`, filepath.Join(repo, "examples/exec/train.py")),
	}
	for _, tr := range []string{"mlp", "exec"} {
		for _, alg := range []string{"hyperband", "asha", "bohb", "median"} {
			if tr == "exec" && (alg == "hyperband" || alg == "bohb") {
				continue
			}
			t.Run(tr+"/"+alg, func(t *testing.T) {
				opts := "min_resource: 1, max_resource: 3, reduction_factor: 3"
				if alg == "median" {
					opts = "max_resource: 3, n_startup_trials: 2"
				}
				space := fmt.Sprintf("study: e2e\nbudget: {trials: 6}\nalgorithm: {name: %s, seed: 2, %s}\n%s", alg, opts, trainers[tr])
				dir := t.TempDir()
				if err := os.WriteFile(filepath.Join(dir, "space.yaml"), []byte(space), 0o644); err != nil {
					t.Fatal(err)
				}
				out, errOut, code := automl(t, dir, "search", "-space", "space.yaml", "--workers", "2", "--top", "0", "-q")
				if code != 0 {
					t.Fatalf("automl search exited %d:\n%s%s", code, out, errOut)
				}
				db := filepath.Join(dir, "automl.db")
				recs := loadTrials(t, db, "e2e")
				if len(recs) != 6 {
					t.Fatalf("%d trials, want 6:\n%s", len(recs), describeTrials(recs))
				}
				promoted := 0
				for _, r := range recs {
					if r.State != trial.Completed && r.State != trial.Pruned {
						t.Errorf("trial %d ended %s: %s", r.ID, r.State, r.Error)
					}
					if r.Rung > 0 {
						promoted++
					}
					if strings.Contains(r.Note, "restarted from 0") {
						t.Errorf("trial %d restarted from 0: %s", r.ID, r.Note)
					}
					if alg == "median" && r.State == trial.Completed && r.Resource != 3 {
						t.Errorf("trial %d completed at %g epochs, want max_resource 3", r.ID, r.Resource)
					}
					var steps []float64
					for _, rep := range loadReports(t, db, "e2e", r.ID) {
						steps = append(steps, rep.Step)
					}
					// A stopped trial may have trained an epoch whose report
					// the stop overtook: its reports are a prefix.
					want := []float64{1, 2, 3}[:int(r.Resource)]
					if r.State == trial.Pruned && len(steps) <= len(want) && len(steps) > 0 {
						want = want[:len(steps)]
					}
					if !slices.Equal(steps, want) {
						t.Errorf("trial %d (%s, resource %g, rung %d) reported epochs %v, want %v", r.ID, r.State, r.Resource, r.Rung, steps, want)
					}
				}
				if (promoted > 0) != (alg != "median") {
					t.Errorf("%d trials promoted:\n%s", promoted, describeTrials(recs))
				}
			})
		}
	}
}
