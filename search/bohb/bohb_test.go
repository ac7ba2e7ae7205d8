package bohb_test

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"

	"automl/search"
	"automl/search/bohb"
	"automl/search/fidelity"
	"automl/search/fidelity/fidelitytest"
	"automl/search/hyperband"
	"automl/search/random"
)

// recorder is a model sampler that proposes at random and records the
// history it was given.
type recorder struct{ seen []*search.History }

func (r *recorder) Sample(sp *search.Space, h *search.History, rng *rand.Rand) (search.Point, error) {
	cp := &search.History{}
	for _, o := range h.Trials {
		cp.Add(o)
	}
	r.seen = append(r.seen, cp)
	return random.Sampler{}.Sample(sp, h, rng)
}

// TestModelUsedOnceABudgetHasEnough: with d = 3 parameters, no new
// configuration comes from the model until some budget has d+1 = 4
// results; from then on every one does (random_fraction 0), and the model
// sees exactly the results at the largest such budget.
func TestModelUsedOnceABudgetHasEnough(t *testing.T) {
	space, set := fidelitytest.Space(t, "bohb", "max_resource: 27, random_fraction: 0", 4)
	cfg, err := hyperband.ConfigFrom(space, set, bohb.Defaults)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Proposer.MinPoints != 4 || !cfg.Proposer.Model {
		t.Fatalf("proposer %+v, want a model with min_points d+1 = 4", cfg.Proposer)
	}
	rec := &recorder{}
	cfg.Proposer.Sampler = rec
	s, err := hyperband.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	seen, gated, modelled := 0, 0, 0
	before := func(sim *fidelitytest.Sim, acts []search.Action) {
		asked := rec.seen[seen:]
		seen = len(rec.seen)
		news := 0
		for _, a := range acts {
			if a.Kind == search.Create && a.Point != nil {
				news++
			}
		}
		budget, results := largestBudget(sim, 4)
		switch {
		case budget == 0 && len(asked) > 0:
			t.Fatalf("the model was asked before any budget had 4 results (%v)", results)
		case budget == 0:
			gated += news
		case len(asked) != news:
			t.Fatalf("%d new configurations, the model was asked %d times; want all from the model", news, len(asked))
		default:
			modelled += news
			for _, h := range asked {
				var got []int
				for _, o := range h.Completed() {
					if o.Resource != budget {
						t.Fatalf("the model saw a result at %g, want only budget %g", o.Resource, budget)
					}
					got = append(got, o.ID)
				}
				sort.Ints(got)
				if fmt.Sprint(got) != fmt.Sprint(results[budget]) {
					t.Fatalf("the model saw trials %v at budget %g, want %v", got, budget, results[budget])
				}
			}
		}
	}
	fidelitytest.Run(t, space, s, fidelitytest.Config{Slots: 4, Trials: 60, MaxResource: 27, Jobs: true, Seed: 4, Before: before})
	if gated == 0 || modelled == 0 {
		t.Fatalf("%d configurations before the model, %d from it; want some of each", gated, modelled)
	}
}

// largestBudget is the largest resource with at least n complete results,
// and the trials with a result at each resource.
func largestBudget(sim *fidelitytest.Sim, n int) (float64, map[float64][]int) {
	results := map[float64][]int{}
	for _, j := range sim.Jobs {
		if j.Status == search.Complete {
			results[j.Span.To] = append(results[j.Span.To], j.ID)
		}
	}
	best := 0.0
	for r, ids := range results {
		sort.Ints(ids)
		if len(ids) >= n && r > best {
			best = r
		}
	}
	return best, results
}

// TestModelFindsBetterConfigurations: on the synthetic curves, the
// configurations BOHB proposes after its first 100 trials lie closer to
// the optimum (lower final loss f(u)) than those of Hyperband with random
// sampling, run with the same seed and budget.
func TestModelFindsBetterConfigurations(t *testing.T) {
	late := func(alg string, seed uint64) float64 {
		space, set := fidelitytest.Space(t, alg, "max_resource: 27", seed)
		s, err := search.NewSearcher(space, set)
		if err != nil {
			t.Fatal(err)
		}
		sim := fidelitytest.Run(t, space, s, fidelitytest.Config{Slots: 4, Trials: 200, MaxResource: 27, Jobs: true, Seed: seed})
		var fs []float64
		for _, o := range sim.H.Trials[100:] {
			fs = append(fs, fidelitytest.Curve(space, o.Point, 1e9)) // the final loss f(u)
		}
		return mean(fs)
	}
	for seed := uint64(1); seed <= 3; seed++ {
		b, h := late("bohb", seed), late("hyperband", seed)
		if !(b < 0.8*h) {
			t.Errorf("seed %d: mean final loss of trials 100-199: bohb %.4f, hyperband %.4f; want bohb's below 80%% of hyperband's", seed, b, h)
		}
	}
}

func mean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

func TestKillAndRestore(t *testing.T) {
	space, set := fidelitytest.Space(t, "bohb", "max_resource: 27, min_points: 3", 21)
	fidelitytest.CheckKills(t, space, func() (search.Searcher, error) { return search.NewSearcher(space, set) },
		fidelitytest.Config{Slots: 4, Trials: 80, MaxResource: 27, Jobs: true, Seed: 21, Fail: func(id int) bool { return id%29 == 3 }}, 20, 4)
}

// TestSamplerChoice: bohb is hyperband with BOHB's TPE and a third of the
// configurations random; `sampler:` swaps the model.
func TestSamplerChoice(t *testing.T) {
	for _, c := range []struct {
		opts  string
		model bool
	}{{"max_resource: 9", true}, {"max_resource: 9, sampler: random", false}} {
		space, set := fidelitytest.Space(t, "bohb", c.opts, 1)
		cfg, err := hyperband.ConfigFrom(space, set, bohb.Defaults)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Proposer.Model != c.model || cfg.Proposer.RandomFraction != 1.0/3 {
			t.Errorf("%s: proposer %+v, want model %v and random_fraction 1/3", c.opts, cfg.Proposer, c.model)
		}
	}
	var _ fidelity.Stepper = (*hyperband.Searcher)(nil)
}
