package scheduler

import (
	"slices"
	"strings"
	"testing"
	"time"

	"automl/search"
	"automl/search/value"
	"automl/trial"
	"automl/trial/goal"
)

// The ledger's rules, with plain values: no scheduler, no goroutines.

func testLedger(t *testing.T, retry trial.Retry) *ledger {
	t.Helper()
	space, err := search.NewSpace([]search.Param{{Name: "x", Type: search.FloatParam, Low: 0, High: 1}})
	check(t, err)
	return newLedger("s", "i1", space, goal.Of(trial.Objective{Metric: "loss", Direction: trial.Minimize}, nil, nil), retry, "epochs")
}

func point(x float64) search.Point { return search.Point{value.Float(x)} }

func event(id, attempt, delivery int, kind trial.EventKind) trial.Event {
	return trial.Event{Key: trial.Key{Study: "s", Incarnation: "i1", ID: id, Attempt: attempt}, Delivery: delivery, Kind: kind, Time: time.Unix(100, 0), Worker: "w"}
}

func exitEv(id, attempt, delivery int, res *trial.Result) trial.Event {
	ev := event(id, attempt, delivery, trial.Exited)
	ev.Time, ev.Result = time.Unix(110, 0), res
	return ev
}

func mustApply(t *testing.T, l *ledger, ev trial.Event) effects {
	t.Helper()
	eff, err := l.apply(ev)
	check(t, err)
	return eff
}

func check(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestLedgerLifecycle(t *testing.T) {
	l := testLedger(t, trial.Retry{Retries: 1, MaxLost: 1})
	eff := l.create(0, point(0.5), search.Span{}, time.Unix(90, 0))
	if !slices.Equal(eff.send, []int{0}) || !slices.Equal(eff.changed, []int{0}) || l.counts[trial.Pending] != 1 || !l.inFlight[0] {
		t.Fatalf("create: %+v, counts %v", eff, l.counts)
	}
	eff = mustApply(t, l, event(0, 1, 1, trial.Started))
	rec, _ := l.get(0)
	if rec.State != trial.Running || rec.Delivery != 1 || rec.Worker != "w" || !rec.Started.Equal(time.Unix(100, 0)) || len(eff.changed) == 0 {
		t.Fatalf("started: %+v, effects %+v", rec, eff)
	}
	rep := event(0, 1, 1, trial.Reported)
	rep.Step, rep.Metrics = 2, trial.Metrics{"loss": 0.5}
	eff = mustApply(t, l, rep)
	if len(eff.reports) != 1 || len(eff.observe) != 1 || eff.observe[0].Kind != search.Reported || eff.observe[0].Loss != 0.5 || rec.Resource != 2 || l.trained != 2 {
		t.Fatalf("reported: effects %+v, record %+v, trained %v", eff, rec, l.trained)
	}
	if o, _ := l.history.Get(0); len(o.Curve) != 1 {
		t.Errorf("the report is not on the trial's curve: %+v", o)
	}
	eff = mustApply(t, l, exitEv(0, 1, 1, &trial.Result{Outcome: trial.ExitDone, Step: 3, Metrics: trial.Metrics{"loss": 0.25}, Checkpoint: "c"}))
	if rec.State != trial.Completed || rec.Value != 0.25 || rec.Busy != 10*time.Second || rec.Resource != 3 || l.trained != 3 {
		t.Fatalf("exited: %+v, trained %v", rec, l.trained)
	}
	if !slices.Equal(eff.clean, []int{0}) || len(eff.observe) != 1 || eff.observe[0].Status != search.Complete || len(l.inFlight) != 0 {
		t.Errorf("exit effects %+v", eff)
	}
	if b, ok := l.best(); !ok || b.ID != 0 {
		t.Errorf("best = %v, %v", b, ok)
	}
	// Anything after the end changes nothing.
	for _, ev := range []trial.Event{exitEv(0, 1, 1, &trial.Result{Outcome: trial.ExitCrashed}), rep, event(0, 1, 2, trial.Started)} {
		if eff := mustApply(t, l, ev); len(eff.changed)+len(eff.observe)+len(eff.send) > 0 || rec.State != trial.Completed {
			t.Errorf("%v after the end: %+v, state %v", ev.Kind, eff, rec.State)
		}
	}
}

// TestLedgerFencing: events of an older attempt or delivery, of another
// study, and of unknown trials change nothing; a newer delivery of a
// trial asked to stop is asked again.
func TestLedgerFencing(t *testing.T) {
	l := testLedger(t, trial.Retry{})
	l.create(0, point(0.1), search.Span{}, time.Time{})
	mustApply(t, l, event(0, 1, 2, trial.Started))
	rec, _ := l.get(0)
	for _, ev := range []trial.Event{
		event(0, 0, 2, trial.Started), // an older attempt
		exitEv(0, 1, 1, &trial.Result{Outcome: trial.ExitDone, Metrics: trial.Metrics{"loss": 1}}), // an older delivery
		{Key: trial.Key{Study: "other", Incarnation: "i1", ID: 0, Attempt: 1}, Delivery: 3, Kind: trial.Exited},
		{Key: trial.Key{Study: "s", Incarnation: "i0", ID: 0, Attempt: 1}, Delivery: 3, Kind: trial.Exited}, // another incarnation
	} {
		if eff := mustApply(t, l, ev); len(eff.changed)+len(eff.observe) > 0 || rec.State != trial.Running {
			t.Errorf("stale %+v applied: %+v", ev.Key, eff)
		}
	}
	if eff := mustApply(t, l, event(7, 1, 1, trial.Started)); !slices.Equal(eff.unknown, []int{7}) {
		t.Errorf("unknown trial: %+v", eff)
	}
	if eff, _ := l.stopBySearcher(0, "pruned"); len(eff.stop) != 1 {
		t.Fatalf("stop of a running trial sends no stop: %+v", eff)
	}
	if eff := mustApply(t, l, event(0, 1, 3, trial.Started)); len(eff.stop) != 1 || rec.Delivery != 3 {
		t.Errorf("a new delivery of a trial asked to stop is not asked again: %+v", eff)
	}
	eff := mustApply(t, l, exitEv(0, 1, 3, &trial.Result{Outcome: trial.ExitAborted}))
	if rec.State != trial.Pruned || rec.Note != "pruned" || len(eff.observe) != 1 || eff.observe[0].Status != search.Pruned {
		t.Errorf("aborted after the searcher's stop: %+v, effects %+v", rec, eff)
	}
}

// TestLedgerRetries: a crash within the retry budget and a lost run get a
// new attempt (sent, not shown to the searcher); past the budget the
// trial fails.
func TestLedgerRetries(t *testing.T) {
	l := testLedger(t, trial.Retry{Retries: 1, MaxLost: 1})
	l.create(0, point(0.1), search.Span{}, time.Time{})
	rec, _ := l.get(0)
	steps := []struct {
		res     trial.Result
		state   trial.State
		attempt int
	}{
		{trial.Result{Outcome: trial.ExitCrashed, Error: "boom"}, trial.Pending, 2},
		{trial.Result{Outcome: trial.ExitLost, Error: "worker died"}, trial.Pending, 3},
		{trial.Result{Outcome: trial.ExitCrashed, Error: "boom again"}, trial.Failed, 3},
	}
	for i, st := range steps {
		mustApply(t, l, event(0, rec.Attempt, 1, trial.Started))
		res := st.res
		eff := mustApply(t, l, exitEv(0, rec.Attempt, 1, &res))
		if rec.State != st.state || rec.Attempt != st.attempt || rec.Delivery != 0 && st.state == trial.Pending {
			t.Fatalf("step %d: %+v", i, rec)
		}
		requeued := st.state == trial.Pending
		if requeued != (len(eff.send) == 1 && len(eff.requeued) == 1 && len(eff.observe) == 0) {
			t.Errorf("step %d: effects %+v", i, eff)
		}
		if st.state == trial.Failed && (!slices.Equal(eff.failed, []int{0}) || len(eff.observe) != 1 || rec.Error != "boom again") {
			t.Errorf("failure: effects %+v, record %+v", eff, rec)
		}
	}
	if rec.Failures != 2 || rec.Lost != 1 || l.counts[trial.Failed] != 1 || l.counts[trial.Pending] != 0 {
		t.Errorf("counts: %+v, %v", rec, l.counts)
	}
}

func TestLedgerPromotion(t *testing.T) {
	l := testLedger(t, trial.Retry{})
	l.create(0, point(0.1), search.Span{To: 3, Pause: true}, time.Time{})
	mustApply(t, l, event(0, 1, 1, trial.Started))
	l.create(1, point(0.2), search.Span{To: 3, Pause: true}, time.Time{})
	if r := l.reserved(); r != 6 {
		t.Errorf("reserved %v, want 6 (two spans of 3)", r)
	}
	mustApply(t, l, exitEv(0, 1, 1, &trial.Result{Outcome: trial.ExitDone, Step: 3, Metrics: trial.Metrics{"loss": 1}, Checkpoint: "s/0/3"}))
	rec, _ := l.get(0)
	if rec.State != trial.Paused {
		t.Fatalf("done at its rung: %v, want paused", rec.State)
	}
	if _, err := l.promote(1, search.Span{From: 3, To: 9}); err == nil {
		t.Error("promoting a pending trial is accepted")
	}
	eff, err := l.promote(0, search.Span{From: 3, To: 9})
	if err != nil || rec.State != trial.Pending || rec.Attempt != 2 || rec.Rung != 1 || rec.From != 3 || len(eff.send) != 1 || !strings.Contains(rec.Note, "promoted to epochs 9") {
		t.Fatalf("promote: %+v, %+v, %v", rec, eff, err)
	}
	// Without a checkpoint, a promotion trains again from zero.
	mustApply(t, l, event(1, 1, 1, trial.Started))
	mustApply(t, l, exitEv(1, 1, 1, &trial.Result{Outcome: trial.ExitDone, Step: 3, Metrics: trial.Metrics{"loss": 2}}))
	_, err = l.promote(1, search.Span{From: 3, To: 9})
	check(t, err)
	if r1, _ := l.get(1); r1.From != 0 || !strings.Contains(r1.Note, "restarted from 0") {
		t.Errorf("promoted without a checkpoint: %+v", r1)
	}
	// A study that ends leaves paused trials completed at their rung.
	l.create(2, point(0.3), search.Span{To: 3, Pause: true}, time.Time{})
	mustApply(t, l, event(2, 1, 1, trial.Started))
	mustApply(t, l, exitEv(2, 1, 1, &trial.Result{Outcome: trial.ExitDone, Step: 3, Metrics: trial.Metrics{"loss": 0.5}}))
	eff, err = l.endPaused()
	if r2, _ := l.get(2); err != nil || r2.State != trial.Completed || !strings.Contains(r2.Note, "ended at epochs 3") || !slices.Equal(eff.changed, []int{2}) {
		t.Errorf("endPaused: %+v, %+v, %v", r2, eff, err)
	}
	// Continued with more budget, its searcher may promote it again: it
	// trains from zero, its checkpoint gone with the study's end.
	eff, err = l.promote(2, search.Span{From: 3, To: 9})
	if r2, _ := l.get(2); err != nil || r2.State != trial.Pending || r2.From != 0 || r2.Attempt != 2 || len(eff.send) != 1 || l.counts[trial.Completed] != 0 {
		t.Errorf("promoted after the study's end: %+v, %+v, %v, %v", r2, eff, err, l.counts)
	}
	// A trial completed at the top rung is never continued.
	l.create(3, point(0.4), search.Span{To: 9}, time.Time{})
	mustApply(t, l, event(3, 1, 1, trial.Started))
	mustApply(t, l, exitEv(3, 1, 1, &trial.Result{Outcome: trial.ExitDone, Step: 9, Metrics: trial.Metrics{"loss": 0.4}}))
	if _, err := l.promote(3, search.Span{From: 9, To: 27}); err == nil {
		t.Error("a trial completed at the top rung was promoted")
	}
}

func TestLedgerUserStop(t *testing.T) {
	l := testLedger(t, trial.Retry{Retries: 5, MaxLost: 5})
	for id := range 3 {
		l.create(id, point(0.1*float64(id)), search.Span{}, time.Time{})
	}
	mustApply(t, l, event(1, 1, 1, trial.Started))
	mustApply(t, l, event(2, 1, 1, trial.Started))
	mustApply(t, l, exitEv(2, 1, 1, &trial.Result{Outcome: trial.ExitDone, Metrics: trial.Metrics{"loss": 1}}))
	for _, tc := range []struct {
		id   int
		want stopOutcome
	}{{0, stopDone}, {1, stopAsked}, {2, stopFinished}, {9, stopUnknown}} {
		got, eff, err := l.stopByUser(tc.id, "enough")
		if err != nil || got != tc.want {
			t.Errorf("trial %d: %v (%v), want %v", tc.id, got, err, tc.want)
		}
		if (tc.want == stopDone || tc.want == stopAsked) != (len(eff.stop) == 1) {
			t.Errorf("trial %d: stop requests %v", tc.id, eff.stop)
		}
	}
	if r0, _ := l.get(0); r0.State != trial.Stopped || r0.Note != "enough" {
		t.Errorf("pending trial: %+v", r0)
	}
	// The running one ends stopped whatever its worker says, never retried.
	mustApply(t, l, exitEv(1, 1, 1, &trial.Result{Outcome: trial.ExitLost, Error: "gone"}))
	if r1, _ := l.get(1); r1.State != trial.Stopped || r1.Lost != 0 {
		t.Errorf("running trial: %+v", r1)
	}
}

// The queue is refilled in halves, counting pending and running jobs
// together: a worker may report a short trial's start only with its end,
// so trials seen pending may all be running, and a rule on pending alone
// would leave slots idle until the queue ran nearly dry.
func TestJobsRefillInHalves(t *testing.T) {
	for _, c := range []struct {
		slots, queue, pending, running, want int
	}{
		{64, 64, 0, 0, 128},
		{64, 64, 128, 0, 0},  // all seen pending (their start not yet reported)
		{64, 64, 97, 0, 0},   // 31 free: less than half the queue
		{64, 64, 96, 0, 32},  // half the queue free: refill
		{64, 64, 64, 32, 32}, // the same, some seen running
		{64, 64, 0, 64, 64},
		{4, 0, 3, 0, 1}, // no queue: every free slot
		{4, 1, 4, 0, 1},
		{4, 1, 5, 0, 0},
	} {
		l := newLedger("s", "", &search.Space{}, goal.Of(trial.Objective{}, nil, nil), trial.Retry{}, "epochs")
		for i := range c.pending + c.running {
			l.inFlight[i] = true
		}
		l.counts[trial.Pending], l.counts[trial.Running] = c.pending, c.running
		// Workers seen keeping every slot busy: the slots are real.
		s := &Scheduler{cfg: Config{Slots: c.slots, Queue: c.queue}, ledger: l, load: seenBusy(c.slots), fails: noFailureBudget}
		if got := s.jobs(); got != c.want {
			t.Errorf("slots %d queue %d pending %d running %d: %d jobs, want %d", c.slots, c.queue, c.pending, c.running, got, c.want)
		}
	}
}

// When the failures allowed bound the jobs in flight to the slots (32
// slots, max_failed 10: no room for a queue), every freed slot gets its
// job at once: refilled in halves, 7 of 8 freed slots would sit idle until
// the eighth ended (issue 20). With room for a queue beyond the slots,
// the halves rule holds.
func TestJobsNotInHalvesWhenFailuresBoundThem(t *testing.T) {
	for _, c := range []struct {
		maxFailed, inFlight, want int
	}{
		{10, 31, 1},
		{10, 25, 7},
		{10, 32, 0},
		{1 << 30, 63, 0}, // the queue of 32 is there: refill at 16 free
		{1 << 30, 48, 16},
	} {
		l := newLedger("s", "", &search.Space{}, goal.Of(trial.Objective{}, nil, nil), trial.Retry{}, "epochs")
		for i := range c.inFlight {
			l.inFlight[i] = true
		}
		l.counts[trial.Running] = c.inFlight
		s := &Scheduler{cfg: Config{Slots: 32, Queue: 32}, ledger: l, load: seenBusy(32), fails: newFailures(c.maxFailed, 0)}
		if got := s.jobs(); got != c.want {
			t.Errorf("max_failed %d, %d in flight on 32 slots and a queue of 32: %d jobs, want %d", c.maxFailed, c.inFlight, got, c.want)
		}
	}
}

// At the end of the time budget every run still going is stopped: one the
// searcher had asked to stop ends pruned (and the searcher sees it end),
// one a user had asked to stop ends stopped, the others go back to the
// queue with a new attempt (the stopped run's late result is ignored) and
// no failure or loss counted.
func TestLedgerEndRunningAtTheTimeBudget(t *testing.T) {
	l := testLedger(t, trial.Retry{Retries: 0, MaxLost: 0})
	for id := range 4 {
		l.create(id, point(0.1*float64(id)), search.Span{}, time.Time{})
		if id < 3 {
			mustApply(t, l, event(id, 1, 1, trial.Started))
		}
	}
	_, err := l.stopBySearcher(1, "below the median")
	check(t, err)
	_, _, err = l.stopByUser(2, "enough")
	check(t, err)
	eff, queued, err := l.endRunning("time is up", time.Unix(160, 0))
	check(t, err)
	if queued != 1 || len(eff.stop) != 3 || !slices.Equal(eff.send, []int{0}) {
		t.Fatalf("queued %d, stops %v, sends %v; want trial 0 queued again and all 3 runs stopped", queued, eff.stop, eff.send)
	}
	r0, _ := l.get(0)
	if r0.State != trial.Pending || r0.Attempt != 2 || r0.Note != "time is up" || r0.Lost != 0 || r0.Failures != 0 || r0.Busy != 60*time.Second {
		t.Errorf("trial 0: %+v", r0)
	}
	if r1, _ := l.get(1); r1.State != trial.Pruned {
		t.Errorf("trial 1 (searcher's stop): %s", r1.State)
	}
	if r2, _ := l.get(2); r2.State != trial.Stopped || r2.Note != "enough" {
		t.Errorf("trial 2 (user's stop): %s %q", r2.State, r2.Note)
	}
	if r3, _ := l.get(3); r3.State != trial.Pending || r3.Attempt != 1 {
		t.Errorf("trial 3 (queued, never started): %+v", r3)
	}
	if len(eff.observe) != 2 {
		t.Errorf("the searcher sees %d ends, want the 2 stopped ones", len(eff.observe))
	}
	// The stopped run's late result changes nothing.
	mustApply(t, l, exitEv(0, 1, 1, &trial.Result{Outcome: trial.ExitDone, Metrics: trial.Metrics{"loss": 1}}))
	if r0, _ := l.get(0); r0.State != trial.Pending || r0.HasValue {
		t.Errorf("a late result of the stopped run was applied: %+v", r0)
	}
}
