package median_test

import (
	"fmt"
	"math"
	"sort"
	"testing"

	"automl/search"
	"automl/search/fidelity/fidelitytest"
	"automl/search/median"
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
			space := fidelitytest.Space(t, "median", "max_resource: 20, "+tc.opts, 6)
			s, err := search.NewSearcher(space)
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
	space := fidelitytest.Space(t, "median", "max_resource: 15, n_startup_trials: 3, n_warmup_steps: 2", 17)
	fidelitytest.CheckKills(t, space, func() (search.Searcher, error) { return search.NewSearcher(space) },
		fidelitytest.Config{Slots: 4, Trials: 40, MaxResource: 15, Seed: 17, Fail: func(id int) bool { return id%13 == 6 }}, 20, 8)
}

func TestRestoreRejects(t *testing.T) {
	space := fidelitytest.Space(t, "median", "max_resource: 15", 1)
	for _, bad := range []string{
		`[`,
		`{"v":0,"trials":[]}`,
		`{"v":1,"trials":[{"id":1,"p":7}]}`,
		`{"v":1,"trials":[{"id":1,"p":1,"s":[1,2],"l":[1]}]}`,
		`{"v":1,"trials":[{"id":1,"p":1},{"id":1,"p":2}]}`,
	} {
		s, _ := search.NewSearcher(space)
		if err := s.Restore([]byte(bad)); err == nil {
			t.Errorf("Restore(%s) accepted", bad)
		}
	}
}

func TestOptions(t *testing.T) {
	space := fidelitytest.Space(t, "median", "sampler: random, n_startup_trials: 2, n_warmup_steps: 1.5, n_min_trials: 3", 1)
	cfg, err := median.ConfigFrom(space)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(cfg.MaxResource, cfg.StartupTrials, cfg.WarmupSteps, cfg.MinTrials); got != "0 2 1.5 3" {
		t.Fatalf("config %s, want 0 2 1.5 3", got)
	}
}
