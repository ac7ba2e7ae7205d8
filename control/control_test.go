package control_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"automl/backends/local"
	"automl/backends/memory"
	"automl/control"
	"automl/plugins/funcs"
	"automl/scheduler"
	_ "automl/search/algorithms"
	"automl/search/value"
	"automl/spacefile"
	"automl/trial"
)

const branin = `
study: %s
objective: {metric: value, direction: minimize}
budget: {trials: %d}
algorithm: {name: random, seed: 1}
trainer: {plugin: funcs, config: {function: branin}}
parameters:
  x0: {type: float, low: -5, high: 10}
  x1: {type: float, low: 0, high: 15}
`

type harness struct {
	t     *testing.T
	store scheduler.Store
	file  *spacefile.File
	log   syncBuf
}

func newHarness(t *testing.T, study string, trials int) *harness {
	h := &harness{t: t, store: memory.New()}
	h.setFile(fmt.Sprintf(branin, study, trials))
	return h
}

func (h *harness) setFile(text string) {
	f, err := spacefile.Parse("space.yaml", []byte(text))
	if err != nil {
		h.t.Fatal(err)
	}
	h.file = f
}

// config is a run of the study with the flags, as automl search makes it.
func (h *harness) config(runner trial.Runner, slots int, flags control.Flags) (scheduler.Config, func()) {
	d := local.New(slots, func(trial.Spec) (trial.Runner, error) { return runner, nil })
	log := slog.New(slog.NewTextHandler(&h.log, nil))
	return scheduler.Config{File: h.file, Store: h.store, Dispatcher: d, Slots: slots, Log: log,
		Settle: func(st *scheduler.Study, recs []trial.Record, created bool) error {
			note, err := control.Settle(st, recs, created, h.file, flags, time.Now())
			if note != "" {
				log.Info(note)
			}
			return err
		}}, func() { _ = d.Close() }
}

func (h *harness) run(runner trial.Runner, slots int, flags control.Flags) (scheduler.Summary, error) {
	h.t.Helper()
	cfg, closeD := h.config(runner, slots, flags)
	defer closeD()
	s, err := scheduler.New(cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	return s.Run(context.Background())
}

func (h *harness) load() scheduler.StudyState {
	h.t.Helper()
	st, err := h.store.Load(context.Background(), h.file.Study)
	if err != nil {
		h.t.Fatal(err)
	}
	return st
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) take() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.b.String()
	s.b.Reset()
	return out
}

// The stored budget follows the last explicit change: --trials +N adds to
// it, --trials N below what the study has is refused, a rerun without the
// flag keeps it (and says why it is not the file's), and the space file's
// value applies again only once the file changes it.
func TestBudgetFollowsTheLastExplicitChange(t *testing.T) {
	h := newHarness(t, "budget", 4)
	if sum, err := h.run(funcs.Runner{}, 2, control.Flags{}); err != nil || sum.Counts[trial.Completed] != 4 {
		t.Fatalf("%+v %v", sum, err)
	}
	h.log.take()
	sum, err := h.run(funcs.Runner{}, 2, control.Flags{Trials: 3, AddTrials: true, By: "ana@box"})
	if err != nil || sum.Counts[trial.Completed] != 7 || h.load().Study.Trials != 7 {
		t.Fatalf("--trials +3: %+v %v; want 7 trials", sum, err)
	}
	if log := h.log.take(); !strings.Contains(log, "budget: trials 4 -> 7 (--trials +3)") {
		t.Errorf("the log does not say the budget was raised:\n%s", log)
	}
	hist := h.load().Study.History
	if len(hist) != 1 || hist[0].Op != "budget" || hist[0].What != "trials 4 -> 7" || hist[0].Command != "automl search --trials +3" || hist[0].By != "ana@box" {
		t.Errorf("history %+v", hist)
	}

	_, err = h.run(funcs.Runner{}, 2, control.Flags{Trials: 5})
	if !errors.Is(err, control.ErrBadRequest) || err.Error() != "--trials 5 is below the 7 trials study budget already has (7 completed); give 7 or more, or +N to add N" {
		t.Fatalf("--trials 5 below the 7 done: %v", err)
	}
	if st := h.load().Study; st.Trials != 7 || len(st.History) != 1 {
		t.Errorf("a refused budget changed the study: %d trials, history %+v", st.Trials, st.History)
	}

	// The same command again (--trials 7, the stored budget) changes
	// nothing and is not refused.
	if sum, err := h.run(funcs.Runner{}, 2, control.Flags{Trials: 7}); err != nil || sum.Counts[trial.Completed] != 7 || len(h.load().Study.History) != 1 {
		t.Fatalf("--trials 7 again: %+v %v, history %+v", sum, err, h.load().Study.History)
	}

	h.log.take()
	if sum, err := h.run(funcs.Runner{}, 2, control.Flags{}); err != nil || sum.Counts[trial.Completed] != 7 {
		t.Fatalf("rerun without flags: %+v %v", sum, err)
	}
	if log := h.log.take(); !strings.Contains(log, "budget: 7 trials (set by automl search --trials +3 on ") || !strings.Contains(log, " by ana@box; the space file says 4)") {
		t.Errorf("the log does not say which budget applies and why:\n%s", log)
	}

	// The file now says 9: changed since the study last ran, so it applies.
	h.setFile(fmt.Sprintf(branin, "budget", 9))
	if sum, err := h.run(funcs.Runner{}, 2, control.Flags{}); err != nil || sum.Counts[trial.Completed] != 9 {
		t.Fatalf("file raised to 9: %+v %v", sum, err)
	}
	if log := h.log.take(); !strings.Contains(log, "budget: trials 7 -> 9 (the space file's, changed since the study last ran)") {
		t.Errorf("log:\n%s", log)
	}
	h.setFile(fmt.Sprintf(branin, "budget", 6))
	if _, err := h.run(funcs.Runner{}, 2, control.Flags{}); !errors.Is(err, control.ErrBadRequest) || !strings.Contains(err.Error(), "the space file's budget.trials 6 is below the 9 trials") {
		t.Fatalf("file lowered below what is done: %v", err)
	}
}

// A new study's --trials +N adds to the space file's budget; --trials N
// replaces it. Neither is a change of the study's history.
func TestNewStudyBudgetFromFlags(t *testing.T) {
	for _, tc := range []struct {
		flags control.Flags
		want  int
	}{{control.Flags{Trials: 2, AddTrials: true}, 5}, {control.Flags{Trials: 2}, 2}} {
		h := newHarness(t, "newstudy", 3)
		sum, err := h.run(funcs.Runner{}, 2, tc.flags)
		if err != nil || sum.Counts[trial.Completed] != tc.want || len(h.load().Study.History) != 0 {
			t.Errorf("%+v: %+v %v; want %d trials and no history", tc.flags, sum, err, tc.want)
		}
	}
}

// gate holds every run until released.
type gate struct {
	release chan struct{}
	waiting atomic.Int64
}

func (g *gate) Run(ctx context.Context, spec trial.Spec, rep trial.Reporter) (trial.Result, error) {
	g.waiting.Add(1)
	defer g.waiting.Add(-1)
	select {
	case <-g.release:
		return funcs.Runner{}.Run(ctx, spec, rep)
	case <-ctx.Done():
		return trial.Result{Outcome: trial.ExitAborted}, nil
	}
}

// failingGate fails trial 0's first attempt; other runs wait at the gate.
type failingGate struct{ *gate }

func (f failingGate) Run(ctx context.Context, spec trial.Spec, rep trial.Reporter) (trial.Result, error) {
	if spec.Key.ID == 0 && spec.Key.Attempt == 1 {
		return trial.Result{}, errors.New("bug: index out of range")
	}
	return f.gate.Run(ctx, spec, rep)
}

// start runs the study in the background; it returns the scheduler once
// its first jobs are out, and how the run ended.
func (h *harness) start(runner trial.Runner, slots int) (*scheduler.Scheduler, <-chan scheduler.Summary) {
	cfg, closeD := h.config(runner, slots, control.Flags{})
	ready := make(chan struct{})
	cfg.Ready = func() { close(ready) }
	s, err := scheduler.New(cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	done := make(chan scheduler.Summary, 1)
	go func() {
		defer closeD()
		sum, err := s.Run(context.Background())
		if err != nil {
			h.t.Error(err)
		}
		done <- sum
	}()
	<-ready
	return s, done
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

// On a running study: a raised budget is committed at once and creates
// more trials; a budget below what is done is refused; configurations
// enqueued run before the algorithm's next ones, as given and marked; a
// points file with a mistake is refused with its place.
func TestLiveBudgetAndEnqueue(t *testing.T) {
	h := newHarness(t, "live", 2)
	g := &gate{release: make(chan struct{})}
	s, done := h.start(g, 2)
	waitFor(t, "trials 0 and 1 running", func() bool { return g.waiting.Load() == 2 })

	rep, err := control.Live(context.Background(), s, control.Request{Op: "budget", Trials: 3, AddTrials: true, By: "bob@box", Command: "automl budget live --trials +3"})
	if err != nil || fmt.Sprint(rep.Done) != "[budget: trials 2 -> 5]" {
		t.Fatalf("budget +3: %+v %v", rep, err)
	}
	if st := h.load().Study; st.Trials != 5 || len(st.History) != 1 || st.History[0].By != "bob@box" || st.History[0].Command != "automl budget live --trials +3" {
		t.Errorf("not committed at once: %d trials, history %+v", st.Trials, st.History)
	}
	_, err = control.Live(context.Background(), s, control.Request{Op: "budget", Trials: 1})
	if !errors.Is(err, control.ErrBadRequest) || err.Error() != "--trials 1 is below the 2 trials study live already has (2 running); give 2 or more, or +N to add N" {
		t.Errorf("a budget below the trials created: %v", err)
	}
	rep, err = control.Live(context.Background(), s, control.Request{Op: "enqueue", File: "points.csv", Data: []byte("x0,x1\n1.5,2.5\n-3,12\n"), By: "bob@box"})
	if err != nil || rep.Queued != 2 {
		t.Fatalf("enqueue: %+v %v", rep, err)
	}
	_, err = control.Live(context.Background(), s, control.Request{Op: "enqueue", File: "bad.csv", Data: []byte("x0,x1\n99,1\n")})
	if !errors.Is(err, control.ErrBadRequest) || !strings.Contains(err.Error(), `bad.csv:2:1: row 1: parameter "x0": 99 is not one of its values (float from -5 to 10)`) {
		t.Errorf("enqueue outside the space: %v", err)
	}
	close(g.release)
	if sum := <-done; sum.Counts[trial.Completed] != 5 {
		t.Fatalf("%+v; want 5 trials", sum)
	}
	// Both slots were busy until now: the next two trials are the queued
	// configurations, the fifth the algorithm's.
	st := h.load()
	var queued []int
	for _, r := range st.Trials {
		if r.Origin != "" {
			queued = append(queued, r.ID)
			if !strings.HasPrefix(r.Origin, "queued from points.csv:") || !strings.HasSuffix(r.Origin, " by bob@box") {
				t.Errorf("trial %d origin %q", r.ID, r.Origin)
			}
		}
	}
	if fmt.Sprint(queued) != "[2 3]" {
		t.Fatalf("queued configurations ran as trials %v; want 2 and 3, before the algorithm's next", queued)
	}
	if got := st.Trials[2].Params.Map(); got["x0"] != 1.5 || got["x1"] != 2.5 {
		t.Errorf("trial 2 ran %v, want x0 1.5, x1 2.5", got)
	}
	if len(st.Study.Queue) != 0 || len(st.Study.History) != 2 {
		t.Errorf("queue %v, history %+v", st.Study.Queue, st.Study.History)
	}
}

// A retry on a running study reruns the failed trial at once, as a new
// attempt of the same trial; it counts in the budget again, so no trial
// replaces it. A stop of the study is noted in its history.
func TestLiveRetryAndStop(t *testing.T) {
	h := newHarness(t, "liveretry", 3)
	g := &gate{release: make(chan struct{})}
	s, done := h.start(failingGate{g}, 2)
	waitFor(t, "trial 0 failed, trials 1 and 2 running", func() bool {
		st := h.load()
		return g.waiting.Load() == 2 && len(st.Trials) == 3 && st.Trials[0].State == trial.Failed
	})
	if _, err := control.Live(context.Background(), s, control.Request{Op: "retry", IDs: []int{1}}); !errors.Is(err, control.ErrBadRequest) || !strings.Contains(err.Error(), "trial 1 is running: retry reruns failed and stopped trials") {
		t.Errorf("retry of a running trial: %v", err)
	}
	rep, err := control.Live(context.Background(), s, control.Request{Op: "retry", States: []string{"failed"}, By: "ana@box"})
	if err != nil || fmt.Sprint(rep.Rerun) != "[0]" {
		t.Fatalf("retry: %+v %v", rep, err)
	}
	if r := h.load().Trials[0]; r.State != trial.Pending || r.Attempt != 2 || r.Note != "rerun by ana@box (automl retry)" {
		t.Errorf("trial 0 after the retry: %s attempt %d note %q", r.State, r.Attempt, r.Note)
	}
	close(g.release)
	sum := <-done
	st := h.load()
	if sum.Counts[trial.Completed] != 3 || len(st.Trials) != 3 {
		t.Fatalf("%+v, %d trials; want the 3 of the budget, trial 0 among them", sum, len(st.Trials))
	}
	if r := st.Trials[0]; r.State != trial.Completed || r.Attempt != 2 || len(r.Earlier) != 1 || !strings.Contains(r.Earlier[0].Error, "index out of range") || r.Earlier[0].Outcome != trial.ExitCrashed {
		t.Errorf("trial 0: %s attempt %d earlier %+v", r.State, r.Attempt, r.Earlier)
	}
	if hist := st.Study.History; len(hist) != 1 || hist[0].What != "rerun trial(s) 0" || hist[0].By != "ana@box" {
		t.Errorf("history %+v", hist)
	}
}

// A stopped study takes a budget change, configurations and reruns in its
// record; the next run carries them out: the reruns and the queued
// configuration first.
func TestStoredChangesRunNext(t *testing.T) {
	h := newHarness(t, "stopped", 3)
	h.setFile(strings.Replace(fmt.Sprintf(branin, "stopped", 3), "budget: {trials: 3}", "budget: {trials: 3, count_failed: true}", 1))
	if sum, err := h.run(failingGate{&gate{release: closed()}}, 1, control.Flags{}); err != nil || sum.Counts[trial.Failed] != 1 {
		t.Fatalf("%+v %v", sum, err)
	}
	before := h.load()
	st := h.load()
	now := time.Now()
	if _, err := control.Stored(&st, h.file, control.Request{Op: "budget", Trials: 2}, now); !errors.Is(err, control.ErrBadRequest) {
		t.Errorf("budget below the 3 done: %v", err)
	}
	if _, err := control.Stored(&st, h.file, control.Request{Op: "stop"}, now); !errors.Is(err, control.ErrBadRequest) {
		t.Errorf("stop of a stopped study: %v", err)
	}
	rep, err := control.Stored(&st, h.file, control.Request{Op: "budget", Trials: 1, AddTrials: true}, now)
	if err != nil || fmt.Sprint(rep.Done) != "[budget: trials 3 -> 4]" {
		t.Fatalf("%+v %v", rep, err)
	}
	rep, err = control.Stored(&st, h.file, control.Request{Op: "enqueue", File: "p.yaml", Data: []byte("- {x0: 0.5, x1: 1}\n")}, now)
	if err != nil || rep.Queued != 1 {
		t.Fatalf("%+v %v", rep, err)
	}
	if _, err := control.Stored(&st, h.file, control.Request{Op: "retry", IDs: []int{1}}, now); !errors.Is(err, control.ErrBadRequest) || !strings.Contains(err.Error(), "trial 1 is completed: retry reruns failed and stopped trials") {
		t.Errorf("retry of a completed trial: %v", err)
	}
	if rep, err := control.Stored(&st, h.file, control.Request{Op: "retry"}, now); err != nil || fmt.Sprint(rep.Rerun) != "[0]" || fmt.Sprint(st.Study.Rerun) != "[0]" {
		t.Fatalf("retry failed: %+v %v", rep, err)
	}
	if err := h.store.Commit(context.Background(), "stopped", scheduler.Change{Study: st.Study}); err != nil {
		t.Fatal(err)
	}
	sum, err := h.run(funcs.Runner{}, 1, control.Flags{})
	if err != nil || sum.Counts[trial.Completed] != 4 {
		t.Fatalf("%+v %v", sum, err)
	}
	after := h.load()
	if r := after.Trials[0]; r.State != trial.Completed || r.Attempt != 2 || fmt.Sprint(r.Params) != fmt.Sprint(before.Trials[0].Params) || len(r.Earlier) != 1 {
		t.Errorf("trial 0: %s attempt %d params %v (were %v), earlier %+v; want rerun with the same parameters", r.State, r.Attempt, r.Params, before.Trials[0].Params, r.Earlier)
	}
	if r := after.Trials[3]; r.Origin != "queued from p.yaml:1" || r.Params.Map()["x0"] != 0.5 {
		t.Errorf("trial 3 %v from %q; want the queued configuration", r.Params, r.Origin)
	}
	if len(after.Study.History) != 3 || len(after.Study.Rerun) != 0 || len(after.Study.Queue) != 0 {
		t.Errorf("history %+v, rerun %v, queue %v", after.Study.History, after.Study.Rerun, after.Study.Queue)
	}
}

func closed() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}

// The space file's enqueue: runs first when the study is created; on a
// later run only the configurations it gained since are queued.
func TestSpaceFileEnqueue(t *testing.T) {
	h := newHarness(t, "fileq", 2)
	h.setFile(fmt.Sprintf(branin, "fileq", 2) + "enqueue:\n  - {x0: 1, x1: 2}\n")
	if _, err := h.run(funcs.Runner{}, 1, control.Flags{}); err != nil {
		t.Fatal(err)
	}
	h.setFile(fmt.Sprintf(branin, "fileq", 4) + "enqueue:\n  - {x0: 1, x1: 2}\n  - {x0: 3, x1: 4}\n")
	if _, err := h.run(funcs.Runner{}, 1, control.Flags{}); err != nil {
		t.Fatal(err)
	}
	var origins []string
	for _, r := range h.load().Trials {
		origins = append(origins, r.Origin)
	}
	if fmt.Sprint(origins) != "[queued from space.yaml:11  queued from space.yaml:12 ]" {
		t.Errorf("origins %q; want trial 0 from line 11, and on the second run trial 2 from line 12 only", origins)
	}
}

// A retry picks trials by how they ended: failed (all), lost (failed
// because their runs were lost, not their code), stopped; and the time
// budget is set or raised like the trial budget, never to no more than
// the study has run.
func TestRetryStatesAndTimeout(t *testing.T) {
	h := newHarness(t, "states", 4)
	st := scheduler.StudyState{Study: &scheduler.Study{Name: "states", Trials: 4, Elapsed: 90 * time.Second}, Trials: []trial.Record{
		{ID: 0, State: trial.Completed},
		{ID: 1, State: trial.Failed, Failures: 1, Error: "exit status 3"},
		{ID: 2, State: trial.Failed, Lost: 6, Error: "lost 6 times; last: the worker died"},
		{ID: 3, State: trial.Stopped, Note: "stopped by the user"},
	}}
	for _, tc := range []struct {
		states []string
		want   string
	}{{nil, "[1 2]"}, {[]string{"lost"}, "[2]"}, {[]string{"stopped"}, "[3]"}, {[]string{"lost", "stopped"}, "[2 3]"}} {
		c := scheduler.StudyState{Study: &scheduler.Study{Name: "states"}, Trials: st.Trials}
		rep, err := control.Stored(&c, h.file, control.Request{Op: "retry", States: tc.states}, time.Now())
		if err != nil || fmt.Sprint(rep.Rerun) != tc.want || fmt.Sprint(c.Study.Rerun) != tc.want {
			t.Errorf("--state %v: rerun %v (record %v), %v; want %s", tc.states, rep.Rerun, c.Study.Rerun, err, tc.want)
		}
	}
	if _, err := control.Stored(&st, h.file, control.Request{Op: "retry", States: []string{"pruned"}}, time.Now()); !errors.Is(err, control.ErrBadRequest) {
		t.Errorf("--state pruned: %v", err)
	}
	if _, err := control.Stored(&st, h.file, control.Request{Op: "budget", Timeout: time.Minute}, time.Now()); !errors.Is(err, control.ErrBadRequest) ||
		err.Error() != "--timeout 1m0s is no more than the 1m30s study states has run already; give more, or +D to add D" {
		t.Errorf("a timeout below the time run: %v", err)
	}
	rep, err := control.Stored(&st, h.file, control.Request{Op: "budget", Timeout: time.Hour, AddTimeout: true}, time.Now())
	if err != nil || fmt.Sprint(rep.Done) != "[budget: timeout none -> 1h1m30s]" || st.Study.Timeout != time.Hour+90*time.Second {
		t.Errorf("+1h on a study without a timeout: %v %v; want an hour more than it ran", rep.Done, err)
	}
}

// Imported results are not the study's trials: a budget is checked
// against the trials the study ran, and an enqueue: configuration that an
// imported result has is still queued (this study has not run it).
func TestImportedResultsOutsideTheBudget(t *testing.T) {
	h := newHarness(t, "imp", 2)
	if _, err := h.run(funcs.Runner{}, 1, control.Flags{}); err != nil {
		t.Fatal(err)
	}
	var recs []trial.Record
	for i := range 3 {
		recs = append(recs, trial.Record{State: trial.Imported, Params: value.Values{{Name: "x0", Value: value.Float(1)}, {Name: "x1", Value: value.Float(float64(2 + i))}},
			Value: 10, HasValue: true, Source: fmt.Sprintf("/old.csv:%d", i+2)})
	}
	if res, err := control.Import(context.Background(), h.store, "imp", recs, control.Request{}, time.Now()); err != nil || len(res.IDs) != 3 {
		t.Fatalf("import: %+v %v", res, err)
	}
	st := h.load()
	rep, err := control.Stored(&st, h.file, control.Request{Op: "budget", Trials: 3}, time.Now())
	if err != nil || fmt.Sprint(rep.Done) != "[budget: trials 2 -> 3]" {
		t.Fatalf("--trials 3 on a study with 2 trials of its own and 3 imported: %+v %v", rep, err)
	}
	if _, err := control.Stored(&st, h.file, control.Request{Op: "budget", Trials: 1}, time.Now()); !errors.Is(err, control.ErrBadRequest) ||
		!strings.Contains(err.Error(), "is below the 2 trials study imp already has") {
		t.Errorf("--trials 1: %v; want refused below the study's own 2", err)
	}
	if err := h.store.Commit(context.Background(), "imp", scheduler.Change{Study: st.Study}); err != nil {
		t.Fatal(err)
	}
	h.setFile(fmt.Sprintf(branin, "imp", 3) + "enqueue:\n  - {x0: 1, x1: 2}\n")
	sum, err := h.run(funcs.Runner{}, 1, control.Flags{})
	if err != nil || sum.Counts[trial.Completed] != 3 || sum.Counts[trial.Imported] != 3 {
		t.Fatalf("continued: %+v %v; want 3 completed and the 3 imported", sum, err)
	}
	last := h.load().Trials
	if r := last[len(last)-1]; r.State != trial.Completed || r.Origin != "queued from space.yaml:11" {
		t.Errorf("the last trial %s from %q; want the enqueue: configuration run, though an imported result has it", r.State, r.Origin)
	}
}
