package scheduler_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"automl/plugins/funcs"
	"automl/scheduler"
	"automl/trial"
)

// logTo makes a config log to buf, for the lines a user reads.
func logTo(buf *syncBuf) func(*scheduler.Config) {
	return func(c *scheduler.Config) { c.Log = slog.New(slog.NewTextHandler(buf, nil)) }
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

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func both(mods ...func(*scheduler.Config)) func(*scheduler.Config) {
	return func(c *scheduler.Config) {
		for _, m := range mods {
			m(c)
		}
	}
}

// The stored budget follows the last explicit change: --trials +N adds to
// it, --trials N below what the study has is refused, a rerun without the
// flag keeps it (and says why it is not the file's), and the space file's
// value applies again only once the file changes it.
func TestBudgetFollowsTheLastExplicitChange(t *testing.T) {
	h := newHarness(t, fmt.Sprintf(braninSpace, "budget", 4, 1))
	if sum, err, _ := h.run(context.Background(), funcs.Runner{}, 2, nil); err != nil || sum.Counts[trial.Completed] != 4 {
		t.Fatalf("%+v %v", sum, err)
	}
	var log syncBuf
	sum, err, _ := h.run(context.Background(), funcs.Runner{}, 2, both(logTo(&log), func(c *scheduler.Config) { c.AddTrials = 3; c.By = "ana@box" }))
	if err != nil || sum.Counts[trial.Completed] != 7 || h.load().Study.Trials != 7 {
		t.Fatalf("--trials +3: %+v %v; want 7 trials", sum, err)
	}
	if !strings.Contains(log.String(), "budget: trials 4 -> 7 (--trials +3)") {
		t.Errorf("the log does not say the budget was raised:\n%s", log.String())
	}
	hist := h.load().Study.History
	if len(hist) != 1 || hist[0].Op != "budget" || hist[0].What != "trials 4 -> 7" || hist[0].Command != "automl search --trials +3" || hist[0].By != "ana@box" {
		t.Errorf("history %+v", hist)
	}

	_, err, _ = h.run(context.Background(), funcs.Runner{}, 2, func(c *scheduler.Config) { c.Override.Trials = 5 })
	if !errors.Is(err, scheduler.ErrBadRequest) || !strings.Contains(err.Error(), "--trials 5 is below the 7 trials study budget already has (7 completed); give 7 or more, or +N to add N") {
		t.Fatalf("--trials 5 below the 7 done: %v", err)
	}
	if st := h.load().Study; st.Trials != 7 || len(st.History) != 1 {
		t.Errorf("a refused budget changed the study: %d trials, history %+v", st.Trials, st.History)
	}

	log = syncBuf{}
	if sum, err, _ := h.run(context.Background(), funcs.Runner{}, 2, logTo(&log)); err != nil || sum.Counts[trial.Completed] != 7 {
		t.Fatalf("rerun without flags: %+v %v", sum, err)
	}
	if !strings.Contains(log.String(), "budget: 7 trials (set by automl search --trials +3 on ") || !strings.Contains(log.String(), " by ana@box; the space file says 4)") {
		t.Errorf("the log does not say which budget applies and why:\n%s", log.String())
	}

	// The file now says 9: changed since the study last ran, so it applies.
	h.space = parse(t, fmt.Sprintf(braninSpace, "budget", 9, 1))
	log = syncBuf{}
	if sum, err, _ := h.run(context.Background(), funcs.Runner{}, 2, logTo(&log)); err != nil || sum.Counts[trial.Completed] != 9 {
		t.Fatalf("file raised to 9: %+v %v", sum, err)
	}
	if !strings.Contains(log.String(), "budget: trials 7 -> 9 (the space file's, changed since the study last ran)") {
		t.Errorf("log:\n%s", log.String())
	}
	h.space = parse(t, fmt.Sprintf(braninSpace, "budget", 6, 1))
	if _, err, _ := h.run(context.Background(), funcs.Runner{}, 2, nil); !errors.Is(err, scheduler.ErrBadRequest) || !strings.Contains(err.Error(), "the space file's budget.trials 6 is below the 9 trials") {
		t.Fatalf("file lowered below what is done: %v", err)
	}
}

// A new study's --trials +N adds to the space file's budget.
func TestNewStudyAddsToTheFilesBudget(t *testing.T) {
	h := newHarness(t, fmt.Sprintf(braninSpace, "newadd", 3, 1))
	sum, err, _ := h.run(context.Background(), funcs.Runner{}, 2, func(c *scheduler.Config) { c.AddTrials = 2 })
	if err != nil || sum.Counts[trial.Completed] != 5 || len(h.load().Study.History) != 0 {
		t.Fatalf("%+v %v; want 5 trials and no history (the study was created so)", sum, err)
	}
}

// fails is a trainer that fails every trial until its file exists: a bug
// that a fix (the file) removes.
type fails struct{ fixed string }

func (f fails) Run(ctx context.Context, spec trial.Spec, rep trial.Reporter) (trial.Result, error) {
	if _, err := os.Stat(f.fixed); err != nil {
		return trial.Result{}, errors.New("bug: division by zero")
	}
	return funcs.Runner{}.Run(ctx, spec, rep)
}

// Failed trials do not count against the trial budget (others take their
// place) unless count_failed says so; a study whose every trial failed
// fails. A retry after the fix reruns the failed trials as new attempts of
// the same trials, with the same parameters, keeping the attempts that
// failed.
func TestFailedTrialsRetriedAfterAFix(t *testing.T) {
	fixed := filepath.Join(t.TempDir(), "fixed")
	h := newHarness(t, fmt.Sprintf(braninSpace, "retry", 3, 1)+"\n")
	h.space = parse(t, strings.Replace(h.text, "budget: {trials: 3}", "budget: {trials: 3, count_failed: true}", 1))
	sum, err, _ := h.run(context.Background(), fails{fixed}, 1, nil)
	if err != nil || sum.Status != scheduler.StudyFailed || sum.Reason != "every trial failed (3); last: trial 2: trial retry/2/1: bug: division by zero" {
		t.Fatalf("%+v %v; want the study failed: every trial failed", sum, err)
	}
	before := h.load().Trials

	// The study is stopped: the retry is recorded, and runs at the next run.
	st := h.load()
	rep, err := scheduler.Amend(&st, h.space, scheduler.ControlRequest{Op: "retry", By: "ana@box", Command: "automl retry retry"}, before[0].Created)
	if err != nil || len(rep.Rerun) != 3 {
		t.Fatalf("amend: %+v %v", rep, err)
	}
	if err := h.store.Commit(context.Background(), "retry", scheduler.Change{Study: st.Study}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fixed, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	sum, err, _ = h.run(context.Background(), fails{fixed}, 1, nil)
	if err != nil || sum.Status != scheduler.StudyDone || sum.Counts[trial.Completed] != 3 {
		t.Fatalf("after the fix: %+v %v", sum, err)
	}
	after := h.load()
	if len(after.Trials) != 3 {
		t.Fatalf("%d trials after the retry, want the same 3", len(after.Trials))
	}
	for i, r := range after.Trials {
		if r.Attempt != 2 || !reflect.DeepEqual(r.Params, before[i].Params) || len(r.Earlier) != 1 || r.Earlier[0].Outcome != trial.ExitCrashed ||
			!strings.Contains(r.Earlier[0].Error, "division by zero") || r.Earlier[0].Attempt != 1 {
			t.Errorf("trial %d: attempt %d, params %v (were %v), earlier %+v; want attempt 2 with the same parameters and the failed one kept", r.ID, r.Attempt, r.Params, before[i].Params, r.Earlier)
		}
	}
	if hist := after.Study.History; len(hist) != 1 || hist[0].Op != "retry" || hist[0].What != "trial(s) 0, 1, 2 to rerun" || len(after.Study.Rerun) != 0 {
		t.Errorf("history %+v, rerun %v", hist, after.Study.Rerun)
	}

	// Without count_failed, failed trials are replaced until max_failed.
	h2 := newHarness(t, fmt.Sprintf(braninSpace, "replaced", 3, 1))
	sum, err, _ = h2.run(context.Background(), fails{filepath.Join(t.TempDir(), "never")}, 1, func(c *scheduler.Config) { c.Override.MaxFailed = new(5) })
	if err != nil || sum.Status != scheduler.StudyFailed || sum.Counts[trial.Failed] != 5 || !strings.HasPrefix(sum.Reason, "5 trials failed (limit 5)") {
		t.Fatalf("%+v %v; want 5 failed trials, the study failed on max_failed", sum, err)
	}
}

// run starts the study in the background and returns its scheduler once
// it runs, and a channel with how it ended.
func (h *harness) start(runner trial.Runner, slots int, mod func(*scheduler.Config)) (*scheduler.Scheduler, <-chan scheduler.Summary) {
	h.t.Helper()
	schedCh := make(chan *scheduler.Scheduler, 1)
	ready := make(chan struct{})
	done := make(chan scheduler.Summary, 1)
	go func() {
		sum, err, _ := h.run(context.Background(), runner, slots, both(mod, func(c *scheduler.Config) { c.Ready = func() { close(ready) } }), func(s *scheduler.Scheduler) { schedCh <- s })
		if err != nil {
			h.t.Error(err)
		}
		done <- sum
	}()
	s := <-schedCh
	<-ready
	return s, done
}

// On a running study: a raised budget creates more trials, configurations
// enqueued run before the algorithm's next ones (as given, marked), a
// budget below what is done is refused, and a failed trial reruns.
func TestControlARunningStudy(t *testing.T) {
	h := newHarness(t, fmt.Sprintf(braninSpace, "live", 2, 1))
	g := newGate()
	s, done := h.start(g, 2, func(c *scheduler.Config) { c.Queue = 0; c.By = "ana@box" })
	waitFor(t, "trials 0 and 1 running", func() bool { return g.waiting.Load() == 2 })

	rep, err := s.Control(context.Background(), scheduler.ControlRequest{Op: "budget", Trials: 3, AddTrials: true, By: "bob@box", Command: "automl budget live --trials +3"})
	if err != nil || len(rep.Done) != 1 || rep.Done[0] != "budget: trials 2 -> 5" {
		t.Fatalf("budget +3: %+v %v", rep, err)
	}
	if st := h.load().Study; st.Trials != 5 || len(st.History) != 1 || st.History[0].By != "bob@box" {
		t.Errorf("not committed at once: %d trials, history %+v", st.Trials, st.History)
	}
	if _, err := s.Control(context.Background(), scheduler.ControlRequest{Op: "budget", Trials: 1}); !errors.Is(err, scheduler.ErrBadRequest) ||
		!strings.Contains(err.Error(), "--trials 1 is below the 2 trials study live already has (2 running)") {
		t.Errorf("a budget below the trials created: %v", err)
	}
	points := []byte("x0,x1\n1.5,2.5\n-3,12\n")
	rep, err = s.Control(context.Background(), scheduler.ControlRequest{Op: "enqueue", File: "points.csv", Data: points, By: "bob@box"})
	if err != nil || rep.Queued != 2 {
		t.Fatalf("enqueue: %+v %v", rep, err)
	}
	if _, err := s.Control(context.Background(), scheduler.ControlRequest{Op: "enqueue", File: "bad.csv", Data: []byte("x0,x1\n99,1\n")}); !errors.Is(err, scheduler.ErrBadRequest) ||
		!strings.Contains(err.Error(), `bad.csv:2:1: row 1: parameter "x0": 99 is not one of its values (float from -5 to 10)`) {
		t.Errorf("enqueue outside the space: %v", err)
	}
	close(g.release)
	sum := <-done
	if sum.Counts[trial.Completed] != 5 {
		t.Fatalf("%+v; want 5 trials", sum)
	}
	// Both slots were busy until now: the next two trials are the queued
	// configurations, the fifth the algorithm's.
	trs := h.load().Trials
	var queued []int
	for _, r := range trs {
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
	if got := trs[queued[0]].Params.Map(); got["x0"] != 1.5 || got["x1"] != 2.5 {
		t.Errorf("first queued trial ran %v, want x0 1.5, x1 2.5", got)
	}
	if q := h.load().Study.Queue; len(q) != 0 {
		t.Errorf("%d configurations still queued", len(q))
	}
}

// A stopped study takes a budget change and configurations in its record;
// the next run uses both, the queued configurations first.
func TestAmendAStoppedStudy(t *testing.T) {
	h := newHarness(t, fmt.Sprintf(braninSpace, "stopped", 2, 1))
	if _, err, _ := h.run(context.Background(), funcs.Runner{}, 1, nil); err != nil {
		t.Fatal(err)
	}
	st := h.load()
	now := st.Study.Updated
	if _, err := scheduler.Amend(&st, h.space, scheduler.ControlRequest{Op: "budget", Trials: 1}, now); !errors.Is(err, scheduler.ErrBadRequest) {
		t.Errorf("budget below the 2 done: %v", err)
	}
	rep, err := scheduler.Amend(&st, h.space, scheduler.ControlRequest{Op: "budget", Trials: 2, AddTrials: true}, now)
	if err != nil || rep.Done[0] != "budget: trials 2 -> 4" {
		t.Fatalf("%+v %v", rep, err)
	}
	rep, err = scheduler.Amend(&st, h.space, scheduler.ControlRequest{Op: "enqueue", File: "p.yaml", Data: []byte("- {x0: 0.5, x1: 1}\n")}, now)
	if err != nil || rep.Queued != 1 {
		t.Fatalf("%+v %v", rep, err)
	}
	if _, err := scheduler.Amend(&st, h.space, scheduler.ControlRequest{Op: "retry", IDs: []int{0}}, now); !errors.Is(err, scheduler.ErrBadRequest) ||
		!strings.Contains(err.Error(), "trial 0 is completed: retry reruns failed and stopped trials") {
		t.Errorf("retry of a completed trial: %v", err)
	}
	if err := h.store.Commit(context.Background(), "stopped", scheduler.Change{Study: st.Study}); err != nil {
		t.Fatal(err)
	}
	sum, err, _ := h.run(context.Background(), funcs.Runner{}, 1, nil)
	if err != nil || sum.Counts[trial.Completed] != 4 {
		t.Fatalf("%+v %v", sum, err)
	}
	after := h.load()
	if r := after.Trials[2]; r.Origin != "queued from p.yaml:1" || r.Params.Map()["x0"] != 0.5 {
		t.Errorf("trial 2 %v from %q; want the queued configuration first", r.Params, r.Origin)
	}
	if len(after.Study.History) != 2 {
		t.Errorf("history %+v", after.Study.History)
	}
}

// failFirst fails trial 0's first attempt; every other run waits at the gate.
type failFirst struct{ *gate }

func (f failFirst) Run(ctx context.Context, spec trial.Spec, rep trial.Reporter) (trial.Result, error) {
	if spec.Key.ID == 0 && spec.Key.Attempt == 1 {
		return trial.Result{}, errors.New("bug: index out of range")
	}
	return f.gate.Run(ctx, spec, rep)
}

// A retry on a running study reruns the failed trial at once, as a new
// attempt of the same trial; it counts in the budget again, so no trial
// replaces it.
func TestRetryOnARunningStudy(t *testing.T) {
	h := newHarness(t, fmt.Sprintf(braninSpace, "liveretry", 3, 1))
	g := newGate()
	s, done := h.start(failFirst{g}, 2, func(c *scheduler.Config) { c.Queue = 0 })
	waitFor(t, "trial 0 failed, trials 1 and 2 running", func() bool {
		st := h.load()
		return g.waiting.Load() == 2 && len(st.Trials) == 3 && st.Trials[0].State == trial.Failed
	})
	rep, err := s.Control(context.Background(), scheduler.ControlRequest{Op: "retry", States: []string{"failed"}, By: "ana@box"})
	if err != nil || fmt.Sprint(rep.Rerun) != "[0]" {
		t.Fatalf("retry: %+v %v", rep, err)
	}
	if r := h.load().Trials[0]; r.State != trial.Pending || r.Attempt != 2 || r.Note != "rerun by ana@box (automl retry)" {
		t.Errorf("trial 0 after the retry: %s attempt %d note %q", r.State, r.Attempt, r.Note)
	}
	close(g.release)
	sum := <-done
	trs := h.load().Trials
	if sum.Counts[trial.Completed] != 3 || len(trs) != 3 {
		t.Fatalf("%+v, %d trials; want the 3 of the budget, trial 0 among them", sum, len(trs))
	}
	if r := trs[0]; r.State != trial.Completed || r.Attempt != 2 || len(r.Earlier) != 1 || !strings.Contains(r.Earlier[0].Error, "index out of range") {
		t.Errorf("trial 0: %s attempt %d earlier %+v", r.State, r.Attempt, r.Earlier)
	}
}
