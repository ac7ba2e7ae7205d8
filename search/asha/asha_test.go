package asha_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"automl/search"
	"automl/search/asha"
	"automl/search/cmaes"
	"automl/search/fidelity/fidelitytest"
)

// rungResults are the results at resource r so far, best first.
func rungResults(sim *fidelitytest.Sim, first map[int]float64, base, r float64) []*fidelitytest.Job {
	var out []*fidelitytest.Job
	for _, j := range sim.Jobs {
		if j.Span.To == r && first[j.ID] == base && j.Status == search.Complete {
			out = append(out, j)
		}
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].Loss != out[b].Loss {
			return out[a].Loss < out[b].Loss
		}
		return out[a].ID < out[b].ID
	})
	return out
}

// TestPromotesTopFraction checks ASHA's rule (Li et al. 2020, Algorithm 2)
// at every decision: a trial is promoted from rung k only if it ranks in
// the top floor(n/eta) of the n results at rung k at that moment; and, at
// the end of a study given the free slots apart from the trial budget,
// that the final top floor(n/eta) of every rung below the top was promoted.
func TestPromotesTopFraction(t *testing.T) {
	rungs := []float64{1, 3, 9, 27}
	tests := []struct {
		name  string
		slots int
		jobs  bool
	}{
		{"one slot", 1, true},
		{"five slots", 5, true},
		{"today's want", 4, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			space, set := fidelitytest.Space(t, "asha", "max_resource: 27", 5)
			s, err := search.NewSearcher(space, set)
			if err != nil {
				t.Fatal(err)
			}
			first := map[int]float64{}
			promotions := 0
			before := func(sim *fidelitytest.Sim, acts []search.Action) {
				for _, j := range sim.Jobs {
					if !j.Promotion {
						first[j.ID] = j.Span.To
					}
				}
				for _, a := range acts {
					if a.Kind != search.Create || a.Point != nil {
						continue
					}
					promotions++
					k := index(rungs, a.Span.From)
					if k < 0 || a.Span.To != rungs[k+1] {
						t.Fatalf("promotion of %d over %g..%g does not go up one rung of %v", a.ID, a.Span.From, a.Span.To, rungs)
					}
					res := rungResults(sim, first, 1, a.Span.From)
					top := res[:len(res)/3]
					if !contains(top, a.ID) {
						t.Fatalf("promoted %d from rung %g, not in its top %d of %d", a.ID, a.Span.From, len(top), len(res))
					}
				}
			}
			sim := fidelitytest.Run(t, space, s, fidelitytest.Config{Slots: tc.slots, Trials: 80, MaxResource: 27, Jobs: tc.jobs, Seed: 5, Before: before})
			if promotions == 0 {
				t.Fatal("no promotion")
			}
			if !tc.jobs {
				return // promotions stop with the trial budget
			}
			for k := 0; k < len(rungs)-1; k++ {
				res := rungResults(sim, first, 1, rungs[k])
				promoted := map[int]bool{}
				for _, j := range sim.Jobs {
					if j.Promotion && j.Span.From == rungs[k] {
						promoted[j.ID] = true
					}
				}
				for _, j := range res[:len(res)/3] {
					if !promoted[j.ID] {
						t.Errorf("rung %g: trial %d ended in the top %d of %d but was never promoted", rungs[k], j.ID, len(res)/3, len(res))
					}
				}
				if len(promoted) < len(res)/3 {
					t.Errorf("rung %g: %d promoted of %d results, want at least %d", rungs[k], len(promoted), len(res), len(res)/3)
				}
			}
			if n := len(rungResults(sim, first, 1, 27)); n == 0 {
				t.Error("no trial reached the full budget")
			}
		})
	}
}

func index(xs []float64, x float64) int {
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	return -1
}

func contains(js []*fidelitytest.Job, id int) bool {
	for _, j := range js {
		if j.ID == id {
			return true
		}
	}
	return false
}

// TestBracketsShare: with brackets: 2, new trials split between the
// ladders 1,3,9,27 and 3,9,27 as Hyperband's bracket sizes 27/4 : 9/3.
func TestBracketsShare(t *testing.T) {
	space, set := fidelitytest.Space(t, "asha", "max_resource: 27, brackets: 2", 2)
	s, err := search.NewSearcher(space, set)
	if err != nil {
		t.Fatal(err)
	}
	a := s.(*asha.Searcher)
	if fmt.Sprint(a.Rungs(0), a.Rungs(1)) != "[1 3 9 27] [3 9 27]" {
		t.Fatalf("rungs %v %v", a.Rungs(0), a.Rungs(1))
	}
	sim := fidelitytest.Run(t, space, s, fidelitytest.Config{Slots: 4, Trials: 100, MaxResource: 27, Jobs: true, Seed: 2})
	low := 0
	for _, j := range sim.Jobs {
		if !j.Promotion && j.Span.To == 1 {
			low++
		}
	}
	want := 100 * 6.75 / (6.75 + 3)
	if math.Abs(float64(low)-want) > 1 {
		t.Fatalf("%d of 100 trials in the first ladder, want %.1f +- 1", low, want)
	}
}

func TestKillAndRestore(t *testing.T) {
	for _, jobs := range []bool{false, true} {
		t.Run(fmt.Sprintf("jobs=%v", jobs), func(t *testing.T) {
			space, set := fidelitytest.Space(t, "asha", "max_resource: 27, brackets: 2", 13)
			fidelitytest.CheckKills(t, space, func() (search.Searcher, error) { return search.NewSearcher(space, set) },
				fidelitytest.Config{Slots: 4, Trials: 70, MaxResource: 27, Jobs: jobs, Seed: 13, Fail: func(id int) bool { return id%19 == 7 }}, 20, 9)
		})
	}
}

func TestRestoreRejects(t *testing.T) {
	space, set := fidelitytest.Space(t, "asha", "max_resource: 27", 1)
	for _, bad := range []string{
		`[]`,
		`{"v":7,"trials":[]}`,
		`{"v":1,"trials":[{"id":1,"b":1,"r":0,"p":1}]}`,
		`{"v":1,"trials":[{"id":1,"b":0,"r":4,"p":1}]}`,
	} {
		s, _ := search.NewSearcher(space, set)
		if err := s.Restore([]byte(bad)); err == nil {
			t.Errorf("Restore(%s) accepted", bad)
		}
	}
}

// TestPausedTrialEndedByScheduler: the top trial of a rung, ended by the
// scheduler while paused (pruned in the history), is never promoted.
func TestPausedTrialEndedByScheduler(t *testing.T) {
	space, set := fidelitytest.Space(t, "asha", "max_resource: 9", 1)
	s, err := search.NewSearcher(space, set)
	if err != nil {
		t.Fatal(err)
	}
	h := &search.History{}
	rng := rand.New(rand.NewPCG(1, 1))
	next := 0
	ctx := func(want int) search.Context {
		return search.Context{Space: space, History: h, Rng: rng, Want: want, NewID: func() int { next++; return next - 1 }}
	}
	acts, err := s.Start(ctx(3))
	if err != nil || len(acts) != 3 {
		t.Fatalf("start: %v %v", acts, err)
	}
	for _, a := range acts {
		h.Add(search.Observation{ID: a.ID, Point: a.Point, Status: search.Pending})
	}
	for id := 0; id < 3; id++ {
		o, _ := h.Get(id)
		o.Status, o.Loss, o.HasLoss = search.Complete, float64(id), true
		if _, err := s.Observe(ctx(0), search.Event{Kind: search.Exited, ID: id, Step: 1, Loss: float64(id), HasLoss: true, Status: search.Complete}); err != nil {
			t.Fatal(err)
		}
	}
	o, _ := h.Get(0)
	o.Status = search.Pruned
	acts, err = s.Next(ctx(1))
	if err != nil || len(acts) != 1 || acts[0].ID != 3 || acts[0].Point == nil {
		t.Fatalf("got %+v (%v); want a new trial 3, not the promotion of the ended trial 0", acts, err)
	}
}

// TestDefaultSampler: asha proposes with BOHB's TPE unless the space file
// names another sampler, keeps a third of the configurations random, and
// `sampler: random` is the paper's ASHA (no model).
func TestDefaultSampler(t *testing.T) {
	for _, c := range []struct {
		options string
		model   bool
		frac    float64
	}{
		{"max_resource: 27", true, 1.0 / 3},
		{"max_resource: 27, random_fraction: 0.5", true, 0.5},
		{"max_resource: 27, sampler: random", false, 1.0 / 3},
		{"max_resource: 27, sampler: cmaes", true, 1.0 / 3},
	} {
		cfg, err := asha.ConfigFrom(fidelitytest.Space(t, "asha", c.options, 1))
		if err != nil {
			t.Fatalf("%s: %v", c.options, err)
		}
		p := cfg.Proposer
		if p.Model != c.model || p.RandomFraction != c.frac {
			t.Errorf("%s: model %v, random_fraction %v; want %v, %v", c.options, p.Model, p.RandomFraction, c.model, c.frac)
		}
		if _, isCMA := p.Sampler.(*cmaes.Sampler); isCMA != strings.Contains(c.options, "cmaes") {
			t.Errorf("%s: sampler %T", c.options, p.Sampler)
		}
		if c.model && cfg.Options.Sampler != "tpe" && cfg.Options.Sampler != "cmaes" {
			t.Errorf("%s: sampler %q, want tpe", c.options, cfg.Options.Sampler)
		}
	}
}
