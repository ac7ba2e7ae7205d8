// Package storetest is the conformance suite every scheduler.Store passes:
// what a commit writes comes back exactly, upserts, ordering of trials and
// reports, atomicity of a failed commit, independence of studies, the
// study listing, concurrent readers during commits, trainer logs (kept
// per attempt up to their limit, read whole, by tail or from a position),
// and Close. A store's
// test calls Run with a function that opens a fresh, empty store.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"sort"
	"testing"

	"automl/scheduler"
	"automl/trial"
)

// Open opens a fresh, empty store for one subtest. Run closes it.
type Open func(t *testing.T) scheduler.Store

// Run runs the conformance suite against stores made by open.
func Run(t *testing.T, open Open) {
	tests := []struct {
		name string
		fn   func(*testing.T, Open)
	}{
		{"UnknownStudy", testUnknownStudy},
		{"RoundTrip", testRoundTrip},
		{"GoalsRoundTrip", testGoalsRoundTrip},
		{"Upserts", testUpserts},
		{"NoAliasing", testNoAliasing},
		{"EmptyChange", testEmptyChange},
		{"CommitNeedsStudy", testCommitNeedsStudy},
		{"Atomic", testAtomic},
		{"AtomicNewStudy", testAtomicNewStudy},
		{"Independent", testIndependent},
		{"Studies", testStudies},
		{"ConcurrentReaders", testConcurrentReaders},
		{"Logs", testLogs},
		{"Close", testClose},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open) })
	}
}

// fresh opens a store and closes it when the test ends.
func fresh(t *testing.T, open Open) scheduler.Store {
	t.Helper()
	s := open(t)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func commit(t *testing.T, s scheduler.Store, study string, c scheduler.Change) {
	t.Helper()
	if err := s.Commit(context.Background(), study, c); err != nil {
		t.Fatalf("Commit(%s): %v", study, err)
	}
}

func load(t *testing.T, s scheduler.Store, study string) scheduler.StudyState {
	t.Helper()
	st, err := s.Load(context.Background(), study)
	if err != nil {
		t.Fatalf("Load(%s): %v", study, err)
	}
	return st
}

func reports(t *testing.T, s scheduler.Store, study string, id int) []scheduler.Report {
	t.Helper()
	rs, err := s.Reports(context.Background(), study, id)
	if err != nil {
		t.Fatalf("Reports(%s, %d): %v", study, id, err)
	}
	return rs
}

func studies(t *testing.T, s scheduler.Store) []scheduler.StudyInfo {
	t.Helper()
	infos, err := s.Studies(context.Background())
	if err != nil {
		t.Fatalf("Studies: %v", err)
	}
	return infos
}

// wantState is the state a Load must return, built from what was committed.
func wantState(study *scheduler.Study, snap *scheduler.Snapshot, recs ...trial.Record) scheduler.StudyState {
	st := scheduler.StudyState{Study: study}
	if snap != nil {
		st.Snapshot = *snap
	}
	byID := map[int]trial.Record{}
	for _, r := range recs {
		byID[r.ID] = r
	}
	for _, id := range slices.Sorted(maps.Keys(byID)) {
		st.Trials = append(st.Trials, byID[id])
	}
	return st
}

func equalState(t *testing.T, what string, got, want scheduler.StudyState) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got  %+v\n want %+v", what, got, want)
	}
}

func testUnknownStudy(t *testing.T, open Open) {
	s := fresh(t, open)
	st := load(t, s, "nope")
	equalState(t, "Load of an unknown study", st, scheduler.StudyState{})
	if _, err := s.Reports(context.Background(), "nope", 1); !errors.Is(err, scheduler.ErrStudyNotFound) {
		t.Errorf("Reports of an unknown study: err = %v, want ErrStudyNotFound", err)
	}
	if infos := studies(t, s); len(infos) != 0 {
		t.Errorf("Studies of an empty store = %+v, want none", infos)
	}
}

func testRoundTrip(t *testing.T, open Open) {
	s := fresh(t, open)
	cfg, snap := StudyConfig("rt", "minimize"), Snapshot(300)
	// Ids out of order and across a byte boundary (1 < 2 < 10 < 256).
	recs := []trial.Record{
		Record(10, trial.Completed, 0.5), Record(2, trial.Running, 0),
		Record(256, trial.Pending, 0), Record(1, trial.Failed, 0),
	}
	// Steps out of order, negative, fractional and zero.
	steps := []float64{3, -1.5, 0.25, 0, 1e9, -1e-3, 2, -1000, 0.5}
	var reps []scheduler.Report
	for i, step := range steps {
		reps = append(reps, Report(10, step, float64(i)))
	}
	reps = append(reps, Report(2, 1, 7))
	commit(t, s, "rt", scheduler.Change{Study: cfg, Snapshot: snap, Trials: recs, Reports: reps})

	equalState(t, "Load after Commit", load(t, s, "rt"), wantState(StudyConfig("rt", "minimize"), Snapshot(300), recs...))

	want := slices.Clone(reps[:len(steps)])
	sort.Slice(want, func(i, j int) bool { return want[i].Step < want[j].Step })
	if got := reports(t, s, "rt", 10); !reflect.DeepEqual(got, want) {
		t.Errorf("Reports(10):\n got  %+v\n want %+v (step order)", got, want)
	}
	if got := reports(t, s, "rt", 2); !reflect.DeepEqual(got, reps[len(steps):]) {
		t.Errorf("Reports(2) = %+v, want %+v", got, reps[len(steps):])
	}
	if got := reports(t, s, "rt", 256); len(got) != 0 {
		t.Errorf("Reports of a trial without reports = %+v, want none", got)
	}
	if got := reports(t, s, "rt", 99); len(got) != 0 {
		t.Errorf("Reports of an unknown trial = %+v, want none", got)
	}
}

func testUpserts(t *testing.T, open Open) {
	s := fresh(t, open)
	commit(t, s, "up", scheduler.Change{
		Study: StudyConfig("up", "minimize"), Snapshot: Snapshot(3),
		Trials:  []trial.Record{Record(0, trial.Completed, 1), Record(1, trial.Running, 0), Record(2, trial.Pending, 0)},
		Reports: []scheduler.Report{Report(1, 1, 0.9), Report(1, 2, 0.8)},
	})
	cfg := StudyConfig("up", "minimize")
	cfg.Trials, cfg.Status, cfg.Reason = 200, scheduler.StudyInterrupted, "interrupted by user"
	done := Record(1, trial.Completed, 0.3)
	done.Attempt = 2
	rep := Report(1, 2, 0.25) // replaces (1, 2)
	rep.Attempt = 2
	commit(t, s, "up", scheduler.Change{
		Study: cfg, Snapshot: Snapshot(4),
		Trials:  []trial.Record{done, Record(3, trial.Pending, 0)},
		Reports: []scheduler.Report{rep, Report(1, 3, 0.2)},
	})
	cfg = StudyConfig("up", "minimize")
	cfg.Trials, cfg.Status, cfg.Reason = 200, scheduler.StudyInterrupted, "interrupted by user"
	want := wantState(cfg, Snapshot(4), Record(0, trial.Completed, 1), done, Record(2, trial.Pending, 0), Record(3, trial.Pending, 0))
	equalState(t, "Load after upserts", load(t, s, "up"), want)
	wantReps := []scheduler.Report{Report(1, 1, 0.9), rep, Report(1, 3, 0.2)}
	if got := reports(t, s, "up", 1); !reflect.DeepEqual(got, wantReps) {
		t.Errorf("Reports after upsert:\n got  %+v\n want %+v", got, wantReps)
	}
	// A commit of trials alone keeps the config and snapshot.
	commit(t, s, "up", scheduler.Change{Trials: []trial.Record{Record(4, trial.Pending, 0)}})
	want.Trials = append(want.Trials, Record(4, trial.Pending, 0))
	equalState(t, "Load after a trials-only commit", load(t, s, "up"), want)
}

// testNoAliasing checks that neither the committed change nor a loaded
// state shares memory with what the store keeps.
func testNoAliasing(t *testing.T, open Open) {
	s := fresh(t, open)
	cfg, snap := StudyConfig("al", "minimize"), Snapshot(1)
	rec := Record(0, trial.Completed, 0.5)
	rep := Report(0, 1, 0.5)
	commit(t, s, "al", scheduler.Change{Study: cfg, Snapshot: snap, Trials: []trial.Record{rec}, Reports: []scheduler.Report{rep}})
	cfg.SpaceText[0] = 'X'
	cfg.Name = "changed"
	snap.Searcher[0] = 'X'
	rec.Params[0].Value = rec.Params[1].Value
	rec.Metrics["loss"] = 99
	rec.GPUs[0] = "7"
	rep.Metrics["loss"] = 99

	want := wantState(StudyConfig("al", "minimize"), Snapshot(1), Record(0, trial.Completed, 0.5))
	got := load(t, s, "al")
	equalState(t, "Load after mutating the committed change", got, want)
	got.Study.SpaceText[0] = 'Y'
	got.Snapshot.Rng[0] = 9
	got.Trials[0].Params[0].Value = got.Trials[0].Params[2].Value
	got.Trials[0].Metrics["acc"] = -1
	equalState(t, "Load after mutating a loaded state", load(t, s, "al"), want)

	rs := reports(t, s, "al", 0)
	rs[0].Metrics["loss"] = -1
	if got := reports(t, s, "al", 0); !reflect.DeepEqual(got, []scheduler.Report{Report(0, 1, 0.5)}) {
		t.Errorf("Reports after mutating returned reports = %+v", got)
	}
}

func testEmptyChange(t *testing.T, open Open) {
	s := fresh(t, open)
	if err := s.Commit(context.Background(), "e", scheduler.Change{}); err != nil {
		t.Fatalf("empty Commit of a new study: %v", err)
	}
	if st := load(t, s, "e"); st.Study != nil {
		t.Fatalf("an empty change created study e: %+v", st)
	}
	if err := s.Commit(context.Background(), "", scheduler.Change{Study: StudyConfig("", "minimize")}); err == nil {
		t.Error("Commit to a study with an empty name succeeded")
	}
}

func testCommitNeedsStudy(t *testing.T, open Open) {
	s := fresh(t, open)
	err := s.Commit(context.Background(), "ns", scheduler.Change{Trials: []trial.Record{Record(0, trial.Pending, 0)}})
	if !errors.Is(err, scheduler.ErrStudyNotFound) {
		t.Fatalf("Commit of trials to a study never created: err = %v, want ErrStudyNotFound", err)
	}
	equalState(t, "after the refused commit", load(t, s, "ns"), scheduler.StudyState{})
	if infos := studies(t, s); len(infos) != 0 {
		t.Errorf("Studies after a refused commit = %+v", infos)
	}
	mismatch := StudyConfig("other", "minimize")
	if err := s.Commit(context.Background(), "ns", scheduler.Change{Study: mismatch}); err == nil {
		t.Error("Commit of a study record named other to study ns succeeded")
	}
}

// testAtomic commits a state, then a change that writes to every part of
// the study (config, snapshot, several trials and reports) and fails on its
// last element or before it starts; nothing of it may be visible.
func testAtomic(t *testing.T, open Open) {
	nan := Record(9, trial.Completed, math.NaN()) // JSON cannot encode a NaN value
	badStep := Report(0, math.NaN(), 1)
	infStep := Report(0, math.Inf(1), 1)
	negID := Record(-1, trial.Pending, 0)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()

	tests := []struct {
		name  string
		ctx   context.Context
		study *scheduler.Study
		recs  []trial.Record
		reps  []scheduler.Report
	}{
		{"unencodable trial", context.Background(), nil, []trial.Record{nan}, nil},
		{"NaN report step", context.Background(), nil, nil, []scheduler.Report{badStep}},
		{"infinite report step", context.Background(), nil, nil, []scheduler.Report{infStep}},
		{"negative trial id", context.Background(), nil, []trial.Record{negID}, nil},
		{"study name mismatch", context.Background(), StudyConfig("other", "maximize"), nil, nil},
		{"cancelled context", cancelled, nil, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := fresh(t, open)
			base := []trial.Record{Record(0, trial.Running, 0), Record(1, trial.Pending, 0)}
			commit(t, s, "at", scheduler.Change{
				Study: StudyConfig("at", "minimize"), Snapshot: Snapshot(2), Trials: base,
				Reports: []scheduler.Report{Report(0, 1, 0.9)},
			})
			before := load(t, s, "at")
			beforeInfos := studies(t, s)

			cfg := StudyConfig("at", "minimize")
			cfg.Status = scheduler.StudyDone
			if tc.study != nil {
				cfg = tc.study
			}
			c := scheduler.Change{
				Study:    cfg,
				Snapshot: Snapshot(10),
				Trials:   append([]trial.Record{Record(0, trial.Completed, 0.1), Record(5, trial.Pending, 0)}, tc.recs...),
				Reports:  append([]scheduler.Report{Report(0, 1, 0.1), Report(0, 2, 0.05)}, tc.reps...),
			}
			if err := s.Commit(tc.ctx, "at", c); err == nil {
				t.Fatal("Commit succeeded, want an error")
			}
			equalState(t, "Load after a failed commit", load(t, s, "at"), before)
			if got := reports(t, s, "at", 0); !reflect.DeepEqual(got, []scheduler.Report{Report(0, 1, 0.9)}) {
				t.Errorf("Reports after a failed commit = %+v", got)
			}
			if got := studies(t, s); !reflect.DeepEqual(got, beforeInfos) {
				t.Errorf("Studies after a failed commit:\n got  %+v\n want %+v", got, beforeInfos)
			}
			// The store still takes good commits.
			commit(t, s, "at", scheduler.Change{Trials: []trial.Record{Record(5, trial.Pending, 0)}})
			if got := load(t, s, "at"); len(got.Trials) != 3 {
				t.Errorf("after a good commit: %d trials, want 3", len(got.Trials))
			}
		})
	}
}

func testAtomicNewStudy(t *testing.T, open Open) {
	s := fresh(t, open)
	c := scheduler.Change{
		Study: StudyConfig("new", "minimize"), Snapshot: Snapshot(2),
		Trials: []trial.Record{Record(0, trial.Pending, 0), Record(1, trial.Completed, math.NaN())},
	}
	if err := s.Commit(context.Background(), "new", c); err == nil {
		t.Fatal("Commit with an unencodable trial succeeded")
	}
	equalState(t, "Load of a study whose creation failed", load(t, s, "new"), scheduler.StudyState{})
	if infos := studies(t, s); len(infos) != 0 {
		t.Errorf("Studies lists a study whose creation failed: %+v", infos)
	}
}

func testIndependent(t *testing.T, open Open) {
	s := fresh(t, open)
	// "a" is a prefix of "ab": keys of one must not leak into the other.
	names := []string{"a", "ab", "b"}
	for i, name := range names {
		commit(t, s, name, scheduler.Change{
			Study: StudyConfig(name, "minimize"), Snapshot: Snapshot(i + 1),
			Trials:  []trial.Record{Record(i, trial.Completed, float64(i))},
			Reports: []scheduler.Report{Report(i, float64(i), float64(i)), Report(0, 100, float64(i))},
		})
	}
	commit(t, s, "ab", scheduler.Change{Trials: []trial.Record{Record(7, trial.Failed, 0)}})
	for i, name := range names {
		want := wantState(StudyConfig(name, "minimize"), Snapshot(i+1), Record(i, trial.Completed, float64(i)))
		if name == "ab" {
			want.Trials = append(want.Trials, Record(7, trial.Failed, 0))
		}
		equalState(t, "Load("+name+")", load(t, s, name), want)
		wantReps := []scheduler.Report{Report(0, 100, float64(i))}
		if i == 0 {
			wantReps = []scheduler.Report{Report(0, 0, 0), Report(0, 100, 0)}
		}
		if got := reports(t, s, name, 0); !reflect.DeepEqual(got, wantReps) {
			t.Errorf("Reports(%s, 0) = %+v, want %+v", name, got, wantReps)
		}
	}
}

func testStudies(t *testing.T, open Open) {
	s := fresh(t, open)
	// Committed out of name order; listed in name order.
	commit(t, s, "max", scheduler.Change{Study: StudyConfig("max", "maximize"), Trials: []trial.Record{
		Record(0, trial.Completed, 0.5), Record(1, trial.Completed, 0.9), Record(2, trial.Completed, 0.2),
		Record(3, trial.Failed, 0), Record(4, trial.Running, 0), Record(5, trial.Pending, 0),
	}})
	noValue := Record(3, trial.Completed, 0)
	noValue.HasValue = false // completed without an objective value: not ranked
	prunedBetter := Record(4, trial.Pruned, 0)
	prunedBetter.Value, prunedBetter.HasValue = -100, true // only completed trials rank
	commit(t, s, "min", scheduler.Change{Study: StudyConfig("min", "minimize"), Trials: []trial.Record{
		Record(0, trial.Completed, 0.5), Record(1, trial.Completed, 0.2), Record(2, trial.Completed, 0.9),
		noValue, prunedBetter, Record(5, trial.Completed, 0.2), // ties: the lower id wins
	}})
	commit(t, s, "empty", scheduler.Change{Study: StudyConfig("empty", "minimize")})
	commit(t, s, "fail", scheduler.Change{Study: StudyConfig("fail", "minimize"), Trials: []trial.Record{
		Record(0, trial.Failed, 0), Record(1, trial.Stopped, 0),
	}})

	infos := studies(t, s)
	want := []struct {
		name    string
		counts  map[trial.State]int
		hasBest bool
		bestID  int
		best    float64
	}{
		{"empty", map[trial.State]int{}, false, 0, 0},
		{"fail", map[trial.State]int{trial.Failed: 1, trial.Stopped: 1}, false, 0, 0},
		{"max", map[trial.State]int{trial.Completed: 3, trial.Failed: 1, trial.Running: 1, trial.Pending: 1}, true, 1, 0.9},
		{"min", map[trial.State]int{trial.Completed: 5, trial.Pruned: 1}, true, 1, 0.2},
	}
	if len(infos) != len(want) {
		t.Fatalf("Studies returned %d studies, want %d: %+v", len(infos), len(want), infos)
	}
	for i, w := range want {
		got := infos[i]
		if got.Name != w.name {
			t.Errorf("Studies[%d] = %q, want %q (name order)", i, got.Name, w.name)
			continue
		}
		dir := "minimize"
		if w.name == "max" {
			dir = "maximize"
		}
		if !reflect.DeepEqual(got.Study, *StudyConfig(w.name, dir)) {
			t.Errorf("%s: Study = %+v, want the committed record", w.name, got.Study)
		}
		counts := got.Counts
		if counts == nil {
			counts = map[trial.State]int{}
		}
		if !reflect.DeepEqual(counts, w.counts) {
			t.Errorf("%s: Counts = %v, want %v", w.name, got.Counts, w.counts)
		}
		if got.HasBest != w.hasBest || got.BestID != w.bestID || got.Best != w.best {
			t.Errorf("%s: best = (%v, id %d, %v), want (%v, id %d, %v)",
				w.name, got.HasBest, got.BestID, got.Best, w.hasBest, w.bestID, w.best)
		}
	}
}

// testConcurrentReaders commits steps that each add a trial and its report
// and advance the snapshot, while readers check they never see half a step.
func testConcurrentReaders(t *testing.T, open Open) {
	s := fresh(t, open)
	const steps, readers = 40, 3
	commit(t, s, "cc", scheduler.Change{Study: StudyConfig("cc", "minimize"), Snapshot: Snapshot(0)})
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	errc := make(chan error, readers)
	for r := 0; r < readers; r++ {
		go func() { errc <- readLoop(ctx, s, r) }()
	}
	for i := 0; i < steps; i++ {
		commit(t, s, "cc", scheduler.Change{
			Snapshot: Snapshot(i + 1),
			Trials:   []trial.Record{Record(i, trial.Completed, float64(steps-i))},
			Reports:  []scheduler.Report{Report(i, 1, float64(i))},
		})
	}
	stop()
	for r := 0; r < readers; r++ {
		if err := <-errc; err != nil {
			t.Error(err)
		}
	}
	if st := load(t, s, "cc"); len(st.Trials) != steps {
		t.Errorf("after %d steps: %d trials", steps, len(st.Trials))
	}
}

func readLoop(ctx context.Context, s scheduler.Store, r int) error {
	bg := context.Background()
	seen := 0
	for n := 0; ctx.Err() == nil || n == 0; n++ {
		st, err := s.Load(bg, "cc")
		if err != nil {
			return err
		}
		next := st.Snapshot.NextID
		if len(st.Trials) != next {
			return fmt.Errorf("reader %d: snapshot says %d trials, Load returned %d: half a commit is visible", r, next, len(st.Trials))
		}
		if next < seen {
			return fmt.Errorf("reader %d: went back from %d to %d trials", r, seen, next)
		}
		seen = next
		for i, rec := range st.Trials {
			if rec.ID != i {
				return fmt.Errorf("reader %d: trial %d has id %d", r, i, rec.ID)
			}
		}
		if next > 0 {
			rs, err := s.Reports(bg, "cc", next-1)
			if err != nil {
				return err
			}
			if len(rs) != 1 {
				return fmt.Errorf("reader %d: trial %d is visible but has %d reports, want 1", r, next-1, len(rs))
			}
		}
		infos, err := s.Studies(bg)
		if err != nil {
			return err
		}
		if len(infos) != 1 || infos[0].Counts[trial.Completed] < next {
			return fmt.Errorf("reader %d: Studies = %+v after seeing %d completed trials", r, infos, next)
		}
		if next > 0 && (!infos[0].HasBest || infos[0].BestID < next-1) {
			// Values decrease with the id, so the best is the newest trial.
			return fmt.Errorf("reader %d: best trial %d, want at least %d", r, infos[0].BestID, next-1)
		}
	}
	return nil
}

func testClose(t *testing.T, open Open) {
	s := open(t)
	commit(t, s, "c", scheduler.Change{Study: StudyConfig("c", "minimize")})
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := s.Load(context.Background(), "c"); err == nil {
		t.Error("Load after Close succeeded")
	}
	if err := s.Commit(context.Background(), "c", scheduler.Change{Snapshot: Snapshot(1)}); err == nil {
		t.Error("Commit after Close succeeded")
	}
}
