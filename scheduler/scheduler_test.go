package scheduler_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"automl/backends/local"
	"automl/backends/memory"
	"automl/plugins/funcs"
	"automl/scheduler"
	_ "automl/search/algorithms"
	"automl/search/benchfn"
	"automl/spacefile"
	"automl/trial"
)

const braninSpace = `
study: %s
objective: {metric: value, direction: minimize}
budget: {trials: %d}
algorithm: {name: random, seed: %d}
trainer: {plugin: funcs, config: {function: branin}}
parameters:
  x0: {type: float, low: -5, high: 10}
  x1: {type: float, low: 0, high: 15}
`

func parse(t *testing.T, text string) *spacefile.File {
	t.Helper()
	f, err := spacefile.Parse("space.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// counting wraps a runner and counts evaluations per trial id.
type counting struct {
	inner trial.Runner
	mu    sync.Mutex
	runs  map[int]int
}

func newCounting(inner trial.Runner) *counting {
	return &counting{inner: inner, runs: map[int]int{}}
}

func (c *counting) Run(ctx context.Context, spec trial.Spec, rep trial.Reporter) (trial.Result, error) {
	res, err := c.inner.Run(ctx, spec, rep)
	if err == nil && res.Outcome == trial.ExitDone {
		c.mu.Lock()
		c.runs[spec.Key.ID]++
		c.mu.Unlock()
	}
	return res, err
}

func (c *counting) count(id int) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.runs[id]
}

type harness struct {
	t     *testing.T
	store scheduler.Store
	space *spacefile.File
	text  string
}

func newHarness(t *testing.T, text string) *harness {
	return &harness{t: t, store: memory.New(), space: parse(t, text), text: text}
}

// run runs the study once with a fresh local dispatcher; mod adjusts the
// config, and started (when set) receives the scheduler before it runs.
func (h *harness) run(ctx context.Context, runner trial.Runner, slots int, mod func(*scheduler.Config), started ...func(*scheduler.Scheduler)) (scheduler.Summary, error, *scheduler.Scheduler) {
	h.t.Helper()
	d := local.New(slots, func(trial.Spec) (trial.Runner, error) { return runner, nil })
	defer d.Close()
	cfg := scheduler.Config{File: h.space, Store: h.store, Dispatcher: d, Slots: slots}
	if mod != nil {
		mod(&cfg)
	}
	s, err := scheduler.New(cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	for _, f := range started {
		f(s)
	}
	sum, err := s.Run(ctx)
	return sum, err, s
}

func (h *harness) load() scheduler.StudyState {
	h.t.Helper()
	st, err := h.store.Load(context.Background(), h.space.Study)
	if err != nil {
		h.t.Fatal(err)
	}
	return st
}

func countStates(recs []trial.Record) map[trial.State]int {
	c := map[trial.State]int{}
	for _, r := range recs {
		c[r.State]++
	}
	return c
}

func TestRunCompletesBudget(t *testing.T) {
	h := newHarness(t, fmt.Sprintf(braninSpace, "budget", 40, 1))
	sum, err, _ := h.run(context.Background(), funcs.Runner{}, 4, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Status != scheduler.StudyDone || sum.Counts[trial.Completed] != 40 {
		t.Fatalf("summary %+v, want done with 40 completed", sum)
	}
	st := h.load()
	if len(st.Trials) != 40 {
		t.Fatalf("%d trials stored, want 40", len(st.Trials))
	}
	best := math.Inf(1)
	for _, r := range st.Trials {
		if r.State != trial.Completed || !r.HasValue {
			t.Fatalf("trial %d: %s, has value %v", r.ID, r.State, r.HasValue)
		}
		x0, x1 := r.Params.Float("x0", math.NaN()), r.Params.Float("x1", math.NaN())
		if want := benchfn.Branin([]float64{x0, x1}); r.Value != want {
			t.Fatalf("trial %d value %v, branin says %v", r.ID, r.Value, want)
		}
		best = math.Min(best, r.Value)
	}
	if !sum.HasBest || sum.Best.Value != best {
		t.Fatalf("best %v (has %v), want %v", sum.Best.Value, sum.HasBest, best)
	}
	if st.Study.Status != scheduler.StudyDone || st.Study.Seed != 1 {
		t.Fatalf("stored study %+v", st.Study)
	}
}

func paramsOf(recs []trial.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		b, _ := r.Params.MarshalJSON()
		out[i] = string(b)
	}
	return out
}

func TestSameSeedSameTrials(t *testing.T) {
	runOnce := func(seed int) []string {
		h := newHarness(t, fmt.Sprintf(braninSpace, "seeded", 15, seed))
		if _, err, _ := h.run(context.Background(), funcs.Runner{}, 1, nil); err != nil {
			t.Fatal(err)
		}
		return paramsOf(h.load().Trials)
	}
	a, b, c := runOnce(7), runOnce(7), runOnce(8)
	if strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Fatalf("same seed, different trials:\n%v\n%v", a, b)
	}
	if strings.Join(a, "\n") == strings.Join(c, "\n") {
		t.Fatal("different seeds gave the same trials")
	}
}

// failingStore fails every Commit after the first n, like a scheduler
// that dies mid-study.
type failingStore struct {
	scheduler.Store
	left atomic.Int64
}

var errCrash = errors.New("simulated crash")

func (f *failingStore) Commit(ctx context.Context, study string, c scheduler.Change) error {
	if f.left.Add(-1) < 0 {
		return errCrash
	}
	return f.Store.Commit(ctx, study, c)
}

func TestResumeAfterCrashRunsNothingTwice(t *testing.T) {
	for _, crashAfter := range []int64{1, 2, 3, 5} {
		t.Run(fmt.Sprint(crashAfter), func(t *testing.T) {
			h := newHarness(t, fmt.Sprintf(braninSpace, "crash", 30, 3))
			runner := newCounting(funcs.Runner{})
			fs := &failingStore{Store: h.store}
			fs.left.Store(crashAfter)
			h.store = fs
			_, err, _ := h.run(context.Background(), runner, 3, nil)
			if !errors.Is(err, errCrash) {
				t.Fatalf("first run: %v, want the simulated crash", err)
			}
			h.store = fs.Store
			before := h.load()
			completed := map[int]bool{}
			for _, r := range before.Trials {
				if r.State == trial.Completed {
					completed[r.ID] = true
				}
			}
			runsBefore := map[int]int{}
			for id := range completed {
				runsBefore[id] = runner.count(id)
			}
			sum, err, _ := h.run(context.Background(), runner, 3, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !sum.Resumed || sum.Status != scheduler.StudyDone {
				t.Fatalf("resume summary %+v", sum)
			}
			after := h.load()
			if n := countStates(after.Trials)[trial.Completed]; n != 30 || len(after.Trials) != 30 {
				t.Fatalf("after resume: %d trials, %d completed; want 30 and 30", len(after.Trials), n)
			}
			for id := range completed {
				if runner.count(id) != runsBefore[id] {
					t.Errorf("trial %d was completed before the crash and ran again", id)
				}
			}
			for _, r := range after.Trials {
				if runner.count(r.ID) == 0 {
					t.Errorf("trial %d completed without running", r.ID)
				}
			}
			// Records completed before the crash are unchanged.
			for _, r := range before.Trials {
				if r.State == trial.Completed && after.Trials[r.ID].Value != r.Value {
					t.Errorf("trial %d value changed on resume", r.ID)
				}
			}
		})
	}
}

// gate blocks every run until released, and reports how many are waiting.
type gate struct {
	release chan struct{}
	waiting atomic.Int64
	started atomic.Int64
}

func newGate() *gate { return &gate{release: make(chan struct{})} }

func (g *gate) Run(ctx context.Context, spec trial.Spec, rep trial.Reporter) (trial.Result, error) {
	g.started.Add(1)
	g.waiting.Add(1)
	defer g.waiting.Add(-1)
	select {
	case <-g.release:
		return funcs.Runner{}.Run(ctx, spec, rep)
	case <-ctx.Done():
		return trial.Result{Outcome: trial.ExitAborted}, nil
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestDrainFinishesRunningAndResumes(t *testing.T) {
	h := newHarness(t, fmt.Sprintf(braninSpace, "drain", 20, 5))
	g := newGate()
	done := make(chan scheduler.Summary, 1)
	schedCh := make(chan *scheduler.Scheduler, 1)
	var draining atomic.Bool
	var running atomic.Int64
	go func() {
		sum, err, _ := h.run(context.Background(), g, 3, func(c *scheduler.Config) {
			c.Queue = 3
			// No failure budget bounds the queue (see failureRoom): until a
			// trial works, fail_fast and max_failed keep the jobs in flight
			// to the failures they allow.
			c.Override.MaxFailed, c.Override.FailFast = new(100), new(0)
			c.Progress = func(p scheduler.Progress) { draining.Store(p.Draining); running.Store(int64(p.Running)) }
		}, func(s *scheduler.Scheduler) { schedCh <- s })
		if err != nil {
			t.Error(err)
		}
		done <- sum
	}()
	sched := <-schedCh
	// Running as the scheduler knows it: a job it has not yet heard start
	// counts as queued, and a drain withdraws it.
	waitFor(t, "3 running trials", func() bool { return g.waiting.Load() == 3 && running.Load() == 3 })
	sched.Drain()
	sched.Drain() // twice is fine
	waitFor(t, "the scheduler to drain", draining.Load)
	close(g.release)
	sum := <-done
	if sum.Status != scheduler.StudyInterrupted {
		t.Fatalf("status %s (%s), want interrupted", sum.Status, sum.Reason)
	}
	st := h.load()
	c := countStates(st.Trials)
	if c[trial.Completed] != 3 || c[trial.Running] != 0 || c[trial.Pending] != 3 {
		t.Fatalf("after drain: %v; want the 3 running trials completed, the 3 queued still pending", c)
	}
	sum, err, _ := h.run(context.Background(), funcs.Runner{}, 3, nil)
	if err != nil || sum.Status != scheduler.StudyDone || sum.Counts[trial.Completed] != 20 {
		t.Fatalf("resume: %+v %v", sum, err)
	}
}

func TestCancelLeavesResumableStudy(t *testing.T) {
	h := newHarness(t, fmt.Sprintf(braninSpace, "cancel", 12, 9))
	g := newGate()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err, _ := h.run(ctx, g, 2, nil)
		done <- err
	}()
	waitFor(t, "2 running trials", func() bool { return g.waiting.Load() == 2 })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("run returned %v, want context.Canceled", err)
	}
	st := h.load()
	if st.Study.Status != scheduler.StudyInterrupted {
		t.Fatalf("status %s, want interrupted", st.Study.Status)
	}
	if c := countStates(st.Trials); c[trial.Completed] != 0 || c[trial.Running] != 2 {
		t.Fatalf("after cancel: %v, want 2 running", c)
	}
	runner := newCounting(funcs.Runner{})
	sum, err, _ := h.run(context.Background(), runner, 2, nil)
	if err != nil || sum.Counts[trial.Completed] != 12 {
		t.Fatalf("resume: %+v %v", sum, err)
	}
	after := h.load()
	for _, r := range after.Trials[:2] {
		if r.Attempt != 2 {
			t.Errorf("trial %d interrupted while running: attempt %d, want 2", r.ID, r.Attempt)
		}
	}
}

type failing struct{ lost bool }

func (f failing) Run(context.Context, trial.Spec, trial.Reporter) (trial.Result, error) {
	if f.lost {
		return trial.Result{}, fmt.Errorf("worker vanished: %w", trial.ErrLost)
	}
	return trial.Result{}, errors.New("exit status 3: CUDA out of memory")
}

func TestTooManyFailuresFailTheStudy(t *testing.T) {
	h := newHarness(t, fmt.Sprintf(braninSpace, "failing", 100, 1))
	sum, err, _ := h.run(context.Background(), failing{}, 2, func(c *scheduler.Config) { c.Override.MaxFailed, c.Override.FailFast = new(4), new(0) })
	if err != nil {
		t.Fatal(err)
	}
	if sum.Status != scheduler.StudyFailed || !strings.Contains(sum.Reason, "CUDA out of memory") {
		t.Fatalf("summary %s %q; want failed naming the trainer's error", sum.Status, sum.Reason)
	}
	st := h.load()
	c := countStates(st.Trials)
	if c[trial.Failed] < 4 || len(st.Trials) > 4+2+2 {
		t.Fatalf("%v over %d trials; want >= 4 failed and creation stopped soon after", c, len(st.Trials))
	}
	for _, r := range st.Trials {
		if r.State == trial.Failed && !strings.Contains(r.Error, "CUDA out of memory") {
			t.Errorf("trial %d error %q", r.ID, r.Error)
		}
	}
}

// flaky fails each trial's first attempt, then succeeds.
type flaky struct {
	lost bool
	mu   sync.Mutex
	seen map[int]bool
}

func (f *flaky) Run(ctx context.Context, spec trial.Spec, rep trial.Reporter) (trial.Result, error) {
	f.mu.Lock()
	first := !f.seen[spec.Key.ID]
	f.seen[spec.Key.ID] = true
	f.mu.Unlock()
	if first {
		return failing{lost: f.lost}.Run(ctx, spec, rep)
	}
	return funcs.Runner{}.Run(ctx, spec, rep)
}

func TestRetriesAndLostWorkers(t *testing.T) {
	for _, lost := range []bool{false, true} {
		t.Run(map[bool]string{false: "code failure retried", true: "lost worker re-queued"}[lost], func(t *testing.T) {
			h := newHarness(t, fmt.Sprintf(braninSpace, "flaky", 10, 2))
			sum, err, _ := h.run(context.Background(), &flaky{lost: lost, seen: map[int]bool{}}, 2, func(c *scheduler.Config) { c.Override.Retries = new(1) })
			if err != nil || sum.Counts[trial.Completed] != 10 {
				t.Fatalf("%+v %v", sum, err)
			}
			for _, r := range h.load().Trials {
				wantFail, wantLost := 1, 0
				if lost {
					wantFail, wantLost = 0, 1
				}
				if r.Attempt != 2 || r.Failures != wantFail || r.Lost != wantLost {
					t.Errorf("trial %d: attempt %d failures %d lost %d; want 2, %d, %d", r.ID, r.Attempt, r.Failures, r.Lost, wantFail, wantLost)
				}
			}
		})
	}
	t.Run("no retries: code failure is final", func(t *testing.T) {
		h := newHarness(t, fmt.Sprintf(braninSpace, "noretry", 6, 2))
		sum, err, _ := h.run(context.Background(), &flaky{seen: map[int]bool{}}, 1, func(c *scheduler.Config) {
			c.Override.MaxFailed, c.Override.FailFast, c.Override.CountFailed = new(100), new(0), true
		})
		if err != nil || sum.Counts[trial.Failed] != 6 || sum.Status != scheduler.StudyFailed || !strings.HasPrefix(sum.Reason, "0 of 6 trials completed (6 failed)") {
			t.Fatalf("%+v %v; want 6 failed trials (count_failed: true) and the study failed", sum, err)
		}
	})
}

type wrongMetric struct{}

func (wrongMetric) Run(context.Context, trial.Spec, trial.Reporter) (trial.Result, error) {
	return trial.Result{Outcome: trial.ExitDone, Metrics: trial.Metrics{"loss": 1, "acc": 0.5}}, nil
}

func TestMissingObjectiveMetricFailsTheTrial(t *testing.T) {
	h := newHarness(t, fmt.Sprintf(braninSpace, "metric", 3, 2))
	if _, err, _ := h.run(context.Background(), wrongMetric{}, 1, nil); err != nil {
		t.Fatal(err)
	}
	for _, r := range h.load().Trials {
		if r.State != trial.Failed || !strings.Contains(r.Error, `objective metric "value"`) || !strings.Contains(r.Error, "acc, loss") {
			t.Errorf("trial %d: %s %q", r.ID, r.State, r.Error)
		}
	}
}

func TestRaisedBudgetContinuesTheStudy(t *testing.T) {
	h := newHarness(t, fmt.Sprintf(braninSpace, "raise", 10, 4))
	runner := newCounting(funcs.Runner{})
	if _, err, _ := h.run(context.Background(), runner, 2, nil); err != nil {
		t.Fatal(err)
	}
	first := paramsOf(h.load().Trials)
	sum, err, _ := h.run(context.Background(), runner, 2, func(c *scheduler.Config) { c.Override.Trials = 15 })
	if err != nil || sum.Counts[trial.Completed] != 15 {
		t.Fatalf("%+v %v", sum, err)
	}
	after := h.load()
	if got := paramsOf(after.Trials[:10]); strings.Join(got, "") != strings.Join(first, "") {
		t.Fatal("the first 10 trials changed")
	}
	for id := 0; id < 15; id++ {
		if runner.count(id) != 1 {
			t.Errorf("trial %d ran %d times", id, runner.count(id))
		}
	}
	if after.Study.Trials != 15 {
		t.Errorf("stored budget %d, want 15", after.Study.Trials)
	}
}

// firstWaits fails every run; the first one fails only once released.
type firstWaits struct {
	release chan struct{}
	mu      sync.Mutex
	first   int // the trial of the first run (-1 before it)
	runs    map[int]int
}

func (f *firstWaits) Run(ctx context.Context, spec trial.Spec, rep trial.Reporter) (trial.Result, error) {
	f.mu.Lock()
	f.runs[spec.Key.ID]++
	wait := f.first < 0
	if wait {
		f.first = spec.Key.ID
	}
	f.mu.Unlock()
	if wait {
		<-f.release
	}
	return failing{}.Run(ctx, spec, rep)
}

// TestNoRetryOnceTheStudyFailed: a trial that crashes after the study has
// failed keeps its retry pending for a continued study; the retry is not
// sent, where a worker could start it before the drain withdraws it.
func TestNoRetryOnceTheStudyFailed(t *testing.T) {
	h := newHarness(t, fmt.Sprintf(braninSpace, "failed-retry", 50, 1))
	r := &firstWaits{release: make(chan struct{}), first: -1, runs: map[int]int{}}
	var draining atomic.Bool
	sent := &recorder{}
	done := make(chan scheduler.Summary, 1)
	go func() {
		sum, err, _ := h.run(context.Background(), r, 2, func(c *scheduler.Config) {
			c.Override.Retries, c.Override.MaxFailed = new(1), new(1)
			c.Progress = func(p scheduler.Progress) { draining.Store(p.Draining) }
			sent.Dispatcher = c.Dispatcher
			c.Dispatcher = sent
		})
		if err != nil {
			t.Error(err)
		}
		done <- sum
	}()
	waitFor(t, "the study to fail and drain", draining.Load)
	close(r.release)
	sum := <-done
	if sum.Status != scheduler.StudyFailed {
		t.Fatalf("status %s (%s), want failed", sum.Status, sum.Reason)
	}
	r.mu.Lock()
	first, runs := r.first, r.runs[r.first]
	r.mu.Unlock()
	if n := sent.attempts(first); runs != 1 || n != 1 {
		t.Errorf("trial %d: %d attempts sent, %d run; want 1: its retry comes after the study failed", first, n, runs)
	}
	for _, rec := range h.load().Trials {
		if rec.ID == first && (rec.State != trial.Pending || rec.Attempt != 2) {
			t.Errorf("trial %d: %s, attempt %d; want pending with its retry (attempt 2) for a continued study", first, rec.State, rec.Attempt)
		}
	}
}

// recorder is a dispatcher that records the jobs it dispatches and the
// trials whose checkpoints it is asked to delete.
type recorder struct {
	scheduler.Dispatcher
	mu      sync.Mutex
	keys    []trial.Key
	cleaned []int
}

func (d *recorder) Dispatch(ctx context.Context, specs []trial.Spec) error {
	d.mu.Lock()
	for _, s := range specs {
		d.keys = append(d.keys, s.Key)
	}
	d.mu.Unlock()
	return d.Dispatcher.Dispatch(ctx, specs)
}

func (d *recorder) DeleteCheckpoints(_ context.Context, _ string, ids []int) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.cleaned = append(d.cleaned, ids...)
	return nil
}

// attempts is how many attempts of trial id were dispatched.
func (d *recorder) attempts(id int) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for _, k := range d.keys {
		if k.ID == id {
			n++
		}
	}
	return n
}
