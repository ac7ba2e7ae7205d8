package cmaes_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"automl/search"
	"automl/search/cmaes"
	"automl/search/random"
)

func newSampler(t testing.TB, space *search.Space, set search.Settings) *cmaes.Sampler {
	t.Helper()
	o, err := cmaes.OptionsFrom(space, set)
	if err != nil {
		t.Fatal(err)
	}
	s, err := cmaes.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestBeatsRandom: on the sphere and on Rosenbrock in 4 to 6 dimensions,
// the median over seeds of the best loss after n trials is far below
// random search's, sequentially and with 8 slots.
func TestBeatsRandom(t *testing.T) {
	cases := []struct {
		name   string
		d      int
		lo, hi float64
		f      func([]float64) float64
		n      int
		factor float64 // cmaes's median at most factor × random's
	}{
		{"sphere6", 6, -5, 5, sphere, 300, 0.01},
		{"rosenbrock4", 4, -2, 2, rosenbrock, 400, 0.1},
	}
	for _, c := range cases {
		for _, q := range []int{1, 8} {
			space, set := parse(t, "", floats(c.d, c.lo, c.hi))
			f := func(p search.Point) float64 { return c.f(xs(space, p)) }
			var ours, rnd []float64
			for seed := range uint64(9) {
				set.Seed = seed
				ours = append(ours, best(study(t, newSampler(t, space, set), space, f, c.n, q, seed)))
				rnd = append(rnd, best(study(t, random.Sampler{}, space, f, c.n, q, seed)))
			}
			mo, mr := median(ours), median(rnd)
			t.Logf("%s q=%d after %d trials: cmaes median best %.3g, random %.3g", c.name, q, c.n, mo, mr)
			if !(mo <= c.factor*mr) {
				t.Errorf("%s q=%d: cmaes median best %.3g is not below %g x random's %.3g", c.name, q, mo, c.factor, mr)
			}
		}
	}
}

// TestDeterministic: the same seed gives the same study, sequentially and
// with 8 slots; another seed another one.
func TestDeterministic(t *testing.T) {
	space, set := parse(t, "", floats(4, -2, 2)+"  k: {type: int, low: 1, high: 6}\n  c: {type: categorical, choices: [a, b, c]}\n")
	f := func(p search.Point) float64 { x := xs(space, p[:4]); return rosenbrock(x) }
	for _, q := range []int{1, 8} {
		a := study(t, newSampler(t, space, set), space, f, 120, q, 1)
		b := study(t, newSampler(t, space, set), space, f, 120, q, 1)
		for i := range a.Trials {
			if !a.Trials[i].Point.Equal(b.Trials[i].Point) {
				t.Fatalf("q=%d: trial %d differs between two runs of one seed: %v and %v", q, i, a.Trials[i].Point, b.Trials[i].Point)
			}
		}
		set2 := set
		set2.Seed++
		c := study(t, newSampler(t, space, set2), space, f, 120, q, 1)
		same := 0
		for i := range a.Trials {
			if a.Trials[i].Point.Equal(c.Trials[i].Point) {
				same++
			}
		}
		if same > 5 {
			t.Fatalf("q=%d: seeds %d and %d share %d of 120 points", q, set.Seed, set2.Seed, same)
		}
	}
}

// TestParallelSlotsDiffer: the slots asking at once, before any result,
// get distinct draws of the first generation (not copies of the mean).
func TestParallelSlotsDiffer(t *testing.T) {
	space, set := parse(t, "n_startup_trials: 0", floats(3, 0, 1))
	smp := newSampler(t, space, set)
	ps, err := search.SampleN(smp, space, &search.History{}, rand.New(rand.NewPCG(1, 1)), 8)
	if err != nil {
		t.Fatal(err)
	}
	for i := range ps {
		for j := range i {
			if ps[i].Equal(ps[j]) {
				t.Fatalf("slots %d and %d got the same point %v", j, i, ps[i])
			}
		}
	}
}

// TestCategoricalIndependent: a categorical parameter is drawn by the
// independent sampler (random: every choice about equally often, whatever
// the losses), and does not keep CMA-ES from converging on the numeric
// ones; with independent_sampler: tpe the choice follows the losses.
func TestCategoricalIndependent(t *testing.T) {
	params := floats(3, -5, 5) + "  c: {type: categorical, choices: [a, b, c, d]}\n"
	for _, c := range []struct {
		opts   string
		learns bool
	}{{"", false}, {"independent_sampler: tpe", true}} {
		space, set := parse(t, c.opts, params)
		f := func(p search.Point) float64 {
			loss := sphere(xs(space, p[:3]))
			if s, _ := p[3].Str(); s != "b" {
				loss += 5
			}
			return loss
		}
		h := study(t, newSampler(t, space, set), space, f, 300, 1, 4)
		count := map[string]int{}
		for _, o := range h.Trials[100:] {
			s, _ := o.Point[3].Str()
			count[s]++
		}
		t.Logf("%q: choices of the last 200 trials %v, best %.3g", c.opts, count, best(h))
		if c.learns && count["b"] < 120 {
			t.Errorf("%q: b, the best choice, in %d of the last 200 trials; TPE should favour it", c.opts, count["b"])
		}
		if !c.learns && (count["b"] < 30 || count["b"] > 70) {
			t.Errorf("%q: b in %d of the last 200 trials; a random choice gives about 50", c.opts, count["b"])
		}
		if best(h) > 5.1 {
			t.Errorf("%q: best loss %.3g: the numeric part did not converge", c.opts, best(h))
		}
	}
}

// TestOptions: defaults, every option, and the mistakes Check refuses.
func TestOptions(t *testing.T) {
	space, set := parse(t, "sigma0: 0.3, popsize: 12, restart: none, n_startup_trials: 0, with_margin: false, independent_sampler: tpe", floats(2, 0, 1))
	o, err := cmaes.OptionsFrom(space, set)
	if err != nil {
		t.Fatal(err)
	}
	want := cmaes.Options{Sigma0: 0.3, Popsize: 12, Restart: "none", NStartupTrials: 0, WithMargin: false, Independent: "tpe", Seed: 3}
	if fmt.Sprint(o) != fmt.Sprint(want) {
		t.Fatalf("options %+v, want %+v", o, want)
	}
	if d := cmaes.DefaultOptions(); d.Restart != "ipop" || d.NStartupTrials != 1 || !d.WithMargin || d.Independent != "random" || d.Sigma0 != 0 || d.Popsize != 0 {
		t.Fatalf("defaults %+v", d)
	}
	for _, bad := range []cmaes.Options{
		{Sigma0: 1.5, Restart: "ipop", Independent: "random"},
		{Popsize: 1, Restart: "ipop", Independent: "random"},
		{Restart: "bipop", Independent: "random"},
		{Restart: "ipop", Independent: "gp"},
		{Restart: "ipop", Independent: "random", NStartupTrials: -1},
	} {
		if _, err := cmaes.New(bad); err == nil {
			t.Errorf("New(%+v) accepted bad options", bad)
		} else if _, ok := err.(*search.OptionError); !ok {
			t.Errorf("New(%+v): %T %v, want a *search.OptionError naming the option", bad, err, err)
		}
	}
}
