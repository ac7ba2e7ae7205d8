package median_test

import (
	"fmt"
	"math"
	"sort"
	"testing"

	"automl/search"
	"automl/search/fidelity/fidelitytest"
	"automl/search/median"
	"automl/search/value"
)

// TestStopsOnlyAfterWarmup checks every Stop the rule makes against its
// definition: the trial's step is at least n_warmup_steps, at least
// n_startup_trials trials have completed, and the trial's best value so
// far is worse than the median of the completed trials' values at that
// step; and that the rule does stop trials when allowed to.
func TestStopsOnlyAfterWarmup(t *testing.T) {
	tests := []struct {
		opts            string
		startup, warmup int
		wantStops       bool
	}{
		{"n_startup_trials: 4, n_warmup_steps: 6", 4, 6, true},
		{"n_startup_trials: 0, n_warmup_steps: 0", 0, 0, true},
		{"n_startup_trials: 4, n_warmup_steps: 21", 4, 21, false},
		{"n_startup_trials: 100", 100, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.opts, func(t *testing.T) {
			space, set := fidelitytest.Space(t, "median", "max_resource: 20, "+tc.opts, 6)
			s, err := search.NewSearcher(space, set)
			if err != nil {
				t.Fatal(err)
			}
			stops := 0
			before := func(sim *fidelitytest.Sim, acts []search.Action) {
				for _, a := range acts {
					if a.Kind != search.Stop {
						continue
					}
					stops++
					checkStop(t, sim, a.ID, tc.startup, tc.warmup)
				}
			}
			sim := fidelitytest.Run(t, space, s, fidelitytest.Config{Slots: 4, Trials: 60, MaxResource: 20, Seed: 6, Before: before})
			if (stops > 0) != tc.wantStops {
				t.Fatalf("%d stops; want some: %v", stops, tc.wantStops)
			}
			pruned := 0
			for _, j := range sim.Jobs {
				if j.Status == search.Pruned {
					pruned++
				}
			}
			if pruned != stops {
				t.Fatalf("%d stops but %d trials pruned", stops, pruned)
			}
		})
	}
}

func checkStop(t *testing.T, sim *fidelitytest.Sim, id, startup, warmup int) {
	t.Helper()
	var job *fidelitytest.Job
	completed := 0
	for _, j := range sim.Jobs {
		if j.ID == id && j.Status == 0 {
			job = j
		}
		if j.Status == search.Complete {
			completed++
		}
	}
	if job == nil {
		t.Fatalf("stop of trial %d, which is not running", id)
	}
	step := job.Step
	if step < float64(warmup) || completed < max(1, startup) {
		t.Fatalf("trial %d stopped at step %g with %d trials completed (warm-up %d steps, %d trials)", id, step, completed, warmup, startup)
	}
	o, _ := sim.H.Get(id)
	best := math.Inf(1)
	for r := 1.0; r <= step; r++ {
		best = math.Min(best, fidelitytest.Curve(sim.Space, o.Point, r))
	}
	var at []float64
	for _, j := range sim.Jobs {
		if j.Status == search.Complete {
			p, _ := sim.H.Get(j.ID)
			at = append(at, fidelitytest.Curve(sim.Space, p.Point, step))
		}
	}
	sort.Float64s(at)
	if m := median.Median(at); !(best > m) {
		t.Fatalf("trial %d stopped at step %g with best %g, not worse than the median %g of %d completed trials", id, step, best, m, len(at))
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{{[]float64{3}, 3}, {[]float64{1, 2}, 1.5}, {[]float64{1, 2, 10}, 2}, {[]float64{-4, -1, 0, 7}, -0.5}} {
		if got := median.Median(tc.in); got != tc.want {
			t.Errorf("Median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestKillAndRestore(t *testing.T) {
	space, set := fidelitytest.Space(t, "median", "max_resource: 15, n_startup_trials: 3, n_warmup_steps: 2", 17)
	fidelitytest.CheckKills(t, space, func() (search.Searcher, error) { return search.NewSearcher(space, set) },
		fidelitytest.Config{Slots: 4, Trials: 40, MaxResource: 15, Seed: 17, Fail: func(id int) bool { return id%13 == 6 }}, 20, 8)
}

func TestRestoreRejects(t *testing.T) {
	space, set := fidelitytest.Space(t, "median", "max_resource: 15", 1)
	for _, bad := range []string{
		`[`,
		`{"v":0,"trials":[]}`,
		`{"v":1,"trials":[{"id":1,"p":7}]}`,
		`{"v":1,"trials":[{"id":1,"p":1,"s":[1,2],"l":[1]}]}`,
		`{"v":1,"trials":[{"id":1,"p":1},{"id":1,"p":2}]}`,
		`{"v":3}`,
		`{"v":2,"stop":[-1]}`,
		`{"v":2,"stop":[4,4]}`,
		`{"v":2,"stop":"x"}`,
	} {
		s, _ := search.NewSearcher(space, set)
		if err := s.Restore([]byte(bad)); err == nil {
			t.Errorf("Restore(%s) accepted", bad)
		}
	}
}

func TestOptions(t *testing.T) {
	space, set := fidelitytest.Space(t, "median", "sampler: random, n_startup_trials: 2, n_warmup_steps: 1.5, n_min_trials: 3", 1)
	cfg, err := median.ConfigFrom(space, set)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(cfg.MaxResource, cfg.StartupTrials, cfg.WarmupSteps, cfg.MinTrials); got != "0 2 1.5 3" {
		t.Fatalf("config %s, want 0 2 1.5 3", got)
	}
}

// curveHistory is a study of four trials: 0-2 completed with the curves
// losses[i] at steps 1..3, and 3 running, with the curve given.
func curveHistory(space *search.Space, running []search.CurvePoint) *search.History {
	h := &search.History{}
	for i, losses := range [][]float64{{5, 4, 3}, {6, 5, 4}, {7, 6, 5}} {
		var c []search.CurvePoint
		for j, l := range losses {
			c = append(c, pairs(float64(j+1), l)...)
		}
		h.Add(search.Observation{ID: i, Point: search.Point{value.Float(0.5), value.Float(0.5), value.Float(0.5)}, Status: search.Complete, Loss: losses[2], HasLoss: true, Resource: 3, Curve: c})
	}
	h.Add(search.Observation{ID: 3, Point: search.Point{value.Float(0.1), value.Float(0.1), value.Float(0.1)}, Status: search.Pending, Curve: running})
	return h
}

// TestReadsCurvesFromHistory gives a searcher that never observed a report
// a History with the learning curves: the rule judges from them (the
// median of the completed trials at the step, the running trial's best so
// far over its curve), also when restored from a snapshot.
func TestReadsCurvesFromHistory(t *testing.T) {
	space, set := fidelitytest.Space(t, "median", "max_resource: 3, n_startup_trials: 3", 1)
	tests := []struct {
		name  string
		curve []search.CurvePoint // the running trial's, ending with the report
		stop  bool
	}{
		{"worse than the median at step 2 (5)", pairs(1, 6, 2, 5.5), true},
		{"equal to the median is not worse", pairs(1, 6, 2, 5), false},
		{"an earlier step was better than the median", pairs(1, 4.9, 2, 5.5), false},
		{"a re-run's later points are not so far", pairs(1, 6, 2, 5.5, 3, 1, 2, 5.5), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			last := tc.curve[len(tc.curve)-1]
			ev := search.Event{Kind: search.Reported, ID: 3, Step: last.Step, Loss: last.Loss, HasLoss: true}
			fresh := func() search.Searcher {
				s, err := search.NewSearcher(space, set)
				if err != nil {
					t.Fatal(err)
				}
				return s
			}
			s := fresh()
			restored := fresh()
			snap, err := s.Snapshot()
			if err != nil {
				t.Fatal(err)
			}
			if err := restored.Restore(snap); err != nil {
				t.Fatal(err)
			}
			for name, s := range map[string]search.Searcher{"new": s, "restored": restored} {
				c := search.Context{Space: space, History: curveHistory(space, tc.curve), NewID: func() int { return 4 }}
				acts, err := s.Observe(c, ev)
				if err != nil {
					t.Fatal(err)
				}
				if got := len(acts) == 1 && acts[0].Kind == search.Stop && acts[0].ID == 3; got != tc.stop || len(acts) > 1 {
					t.Fatalf("%s searcher: actions %+v, want a stop: %v", name, acts, tc.stop)
				}
				again, _ := s.Observe(c, ev) // a duplicate: the stop was asked already
				if len(again) != 0 {
					t.Fatalf("%s searcher: duplicate report gave %+v", name, again)
				}
			}
		})
	}
}

// TestSnapshotHoldsNoCurves: after a study of 60 trials of 81 steps, the
// snapshot is the rule's decisions only (no trial is being stopped then).
func TestSnapshotHoldsNoCurves(t *testing.T) {
	space, set := fidelitytest.Space(t, "median", "max_resource: 81, n_startup_trials: 3", 2)
	s, err := search.NewSearcher(space, set)
	if err != nil {
		t.Fatal(err)
	}
	stops := 0
	sim := fidelitytest.Run(t, space, s, fidelitytest.Config{Slots: 4, Trials: 60, MaxResource: 81, Seed: 2, Before: func(_ *fidelitytest.Sim, acts []search.Action) {
		for _, a := range acts {
			if a.Kind == search.Stop {
				stops++
			}
		}
	}})
	snap, err := s.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if stops == 0 || sim.Events < 60*10 {
		t.Fatalf("%d stops over %d events: the study should stop some trials and report many steps", stops, sim.Events)
	}
	if string(snap) != `{"v":2}` {
		t.Fatalf("snapshot %s, want {\"v\":2}", snap)
	}
}

// TestRestoresVersion1 reads a snapshot of the version that kept the
// curves: its stop requests and its end carry over.
func TestRestoresVersion1(t *testing.T) {
	space, set := fidelitytest.Space(t, "median", "max_resource: 15", 1)
	s, _ := search.NewSearcher(space, set)
	v1 := `{"v":1,"trials":[{"id":0,"p":2,"s":[1,2],"l":[3,2]},{"id":1,"p":1,"stop":true,"s":[1],"l":[9]},{"id":2,"p":3}],"done":true,"reason":"median: search space exhausted"}`
	if err := s.Restore([]byte(v1)); err != nil {
		t.Fatal(err)
	}
	snap, _ := s.Snapshot()
	if want := `{"v":2,"stop":[1],"done":true,"reason":"median: search space exhausted"}`; string(snap) != want {
		t.Fatalf("snapshot %s, want %s", snap, want)
	}
}

// pairs makes a curve of step, loss pairs.
func pairs(xs ...float64) []search.CurvePoint {
	var c []search.CurvePoint
	for i := 0; i+1 < len(xs); i += 2 {
		c = append(c, search.CurvePoint{Step: xs[i], Loss: xs[i+1]})
	}
	return c
}
