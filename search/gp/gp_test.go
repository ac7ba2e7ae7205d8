package gp_test

import (
	"bytes"
	"log/slog"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"automl/search"
	"automl/search/benchfn"
	"automl/search/gp"
	"automl/search/searchtest"
	"automl/search/sobol"
	"automl/spacefile"
)

func TestConformance(t *testing.T) {
	searchtest.Run(t, searchtest.Config{Algorithm: "gp", Options: "n_init: 5, n_candidates: 256", Learns: true})
}

// TestAliasBayes: "bayes" is gp: the same registration, and a study
// naming it proposes what one naming gp does. (The whole suite under the
// alias cost 40 s of CI under -race and tested nothing more.)
func TestAliasBayes(t *testing.T) {
	a, ok := search.Lookup("bayes")
	if !ok || a.Name != "gp" {
		t.Fatalf("Lookup(bayes) = %v, %v; want gp", a, ok)
	}
	f, _ := benchfn.Get("branin")
	s, set := parse(t, "n_init: 3", f.SpaceYAML)
	propose := func(name string) []search.Point {
		set.Name = name
		srch, err := search.NewSearcher(s, set)
		if err != nil {
			t.Fatal(err)
		}
		h := &search.History{}
		next := 0
		ctx := search.Context{Space: s, History: h, Rng: rand.New(rand.NewPCG(1, 2)), Want: 4, NewID: func() int { next++; return next - 1 }}
		acts, err := srch.Start(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var ps []search.Point
		for _, a := range acts {
			if a.Kind == search.Create {
				ps = append(ps, a.Point)
				h.Add(search.Observation{ID: a.ID, Point: a.Point, Status: search.Pending})
			}
		}
		return ps
	}
	gp, bayes := propose("gp"), propose("bayes")
	if len(gp) != 4 || len(bayes) != len(gp) {
		t.Fatalf("gp proposed %d points, bayes %d; want 4 each", len(gp), len(bayes))
	}
	for i := range gp {
		if !gp[i].Equal(bayes[i]) {
			t.Errorf("point %d: gp %v, bayes %v", i, gp[i], bayes[i])
		}
	}
}

func TestSamplerConformance(t *testing.T) {
	searchtest.RunSampler(t, searchtest.Config{Algorithm: "gp", Options: "n_init: 5, n_candidates: 256", Learns: true},
		func(s *search.Space, set search.Settings) (search.Sampler, error) {
			o, err := gp.OptionsFrom(s, set)
			if err != nil {
				return nil, err
			}
			return gp.New(o)
		})
}

func TestOptions(t *testing.T) {
	s, set := parse(t, "n_init: 7, n_candidates: 500, refit_every: 3, fit_max: 50, max_observations: 300, warp: log, lead: 2", "  x: {type: float, low: 0, high: 1}\n")
	o, err := gp.OptionsFrom(s, set)
	if err != nil {
		t.Fatal(err)
	}
	want := gp.Options{NInit: 7, NCandidates: 500, RefitEvery: 3, FitMax: 50, MaxObservations: 300, Warp: "log", Seed: 3}
	if o != want {
		t.Errorf("options %+v, want %+v", o, want)
	}
	for _, c := range []struct{ opts, want string }{
		{"n_init: 0", "must be >= 1"},
		{"n_candidates: 3", "must be >= 16"},
		{"warp: cube", `unknown value "cube"`},
		{"lead: -1", "must be >= 0"},
		{"lead: 5000", "lead must be 0 to 4096, got 5000"},
		{"n_inti: 3", `did you mean "n_init"?`},
	} {
		yaml := "study: t\nobjective: {metric: loss, direction: minimize}\nalgorithm: {name: gp, " + c.opts +
			"}\ntrainer: {plugin: " + searchtest.TrainerName + "}\nparameters:\n  x: {type: float, low: 0, high: 1}\n"
		if _, err := spacefile.Parse("t.yaml", []byte(yaml)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.opts, err, c.want)
		}
	}
}

// TestInitialDesignIsTheStudySobolSequence: the first n_init trials are
// points 0..n_init-1 of the Sobol sequence scrambled by the study seed,
// whatever the rng, so a batch and a sequence of calls agree.
func TestInitialDesignIsTheStudySobolSequence(t *testing.T) {
	f, _ := benchfn.Get("hartmann6")
	s, set := parse(t, "", f.SpaceYAML)
	seq, err := sobol.New(s.Dim(), set.Seed, true)
	if err != nil {
		t.Fatal(err)
	}
	smp, _ := gp.New(gp.Options{Seed: 3})
	ps, err := smp.SampleBatch(s, &search.History{}, rand.New(rand.NewPCG(1, 2)), 12)
	if err != nil {
		t.Fatal(err)
	}
	u := make([]float64, s.Dim())
	for i, p := range ps {
		seq.Cube(uint64(i), u)
		if want := s.Decode(u); !p.Equal(want) {
			t.Errorf("design point %d = %v, want Sobol point %v", i, p, want)
		}
	}
}

const archSpace = `  lr: {type: float, low: 1.0e-5, high: 1.0e-1, log: true}
  optimizer: {type: categorical, choices: [sgd, momentum, adam]}
  momentum: {type: float, low: 0.5, high: 0.99, when: {optimizer: momentum}}
  num_layers: {type: int, low: 1, high: 3}
  units_1: {type: int, low: 16, high: 512, log: true}
  units_2: {type: int, low: 16, high: 512, log: true, when: {num_layers: [2, 3]}}
  units_3: {type: int, low: 16, high: 512, log: true, when: {num_layers: 3}}
  batch: {type: categorical, choices: [32, 64, 128, 256]}
`

// archLoss prefers adam, lr near 3e-3, two layers of about 128 units.
func archLoss(s *search.Space, p search.Point) float64 {
	v := s.Values(p)
	l := math.Pow(math.Log10(v.Float("lr", 0))+2.5, 2)
	if v.String("optimizer", "") != "adam" {
		l++
	}
	l += 0.5 * math.Abs(float64(v.Int("num_layers", 0)-2))
	for _, u := range []string{"units_1", "units_2", "units_3"} {
		if x, ok := v.Get(u); ok {
			n, _ := x.Int()
			l += 0.3 * math.Abs(math.Log2(float64(n))-7)
		}
	}
	return l
}

func TestConditionalArchitectureSpace(t *testing.T) {
	s, _ := parse(t, "", archSpace)
	loss := func(p search.Point) float64 { return archLoss(s, p) }
	var gb, rb []float64
	for seed := uint64(0); seed < 3; seed++ {
		smp, _ := gp.New(gp.Options{Seed: 3})
		_, b := run(t, smp, s, loss, 40, 1, seed)
		gb = append(gb, b)
		_, b = run(t, randomSampler{}, s, loss, 40, 1, seed)
		rb = append(rb, b)
	}
	if med(gb) >= med(rb) {
		t.Errorf("median best loss after 40 trials %.3f, random %.3f", med(gb), med(rb))
	}
}

func TestBeatsRandomOnBenchmarks(t *testing.T) {
	for _, name := range []string{"branin", "mixed"} {
		f, _ := benchfn.Get(name)
		s, _ := parse(t, "", f.SpaceYAML)
		loss := func(p search.Point) float64 { v, _ := f.Eval(s.Values(p)); return v }
		var gb, rb []float64
		for seed := uint64(0); seed < 3; seed++ {
			smp, _ := gp.New(gp.Options{Seed: 3})
			_, b := run(t, smp, s, loss, 30, 1, seed)
			gb = append(gb, f.Regret(b))
			_, b = run(t, randomSampler{}, s, loss, 30, 1, seed)
			rb = append(rb, f.Regret(b))
		}
		if med(gb) >= med(rb) {
			t.Errorf("%s: median regret after 30 trials %.4g, random %.4g", name, med(gb), med(rb))
		}
	}
}

// TestParallelSlots: 8 free slots get 8 distinct points in one call, and
// the regret at the same trial count stays within 1.5x of the sequential.
func TestParallelSlots(t *testing.T) {
	f, _ := benchfn.Get("branin")
	s, _ := parse(t, "", f.SpaceYAML)
	loss := func(p search.Point) float64 { v, _ := f.Eval(s.Values(p)); return v }
	var seq, par []float64
	for seed := uint64(0); seed < 5; seed++ {
		smp, _ := gp.New(gp.Options{Seed: 3})
		_, b := run(t, smp, s, loss, 40, 1, seed)
		seq = append(seq, f.Regret(b))
		h, b := run(t, smp, s, loss, 40, 8, seed)
		par = append(par, f.Regret(b))
		keys := map[string]bool{}
		for _, o := range h.Trials {
			if keys[o.Point.Key()] {
				t.Fatalf("seed %d: point %v suggested twice", seed, o.Point)
			}
			keys[o.Point.Key()] = true
		}
	}
	// Both are tiny on Branin at 40 trials; compare with a floor so that
	// 1e-7 against 1e-8 does not count as a difference.
	const floor = 1e-4
	t.Logf("median regret: sequential %.4g, 8 slots %.4g", med(seq), med(par))
	if med(par) > 1.5*math.Max(med(seq), floor) {
		t.Errorf("median regret with 8 slots %.4g, sequential %.4g: more than 1.5x", med(par), med(seq))
	}
}

func TestSmallDiscreteSpaceNoRepeatsUntilExhausted(t *testing.T) {
	s, _ := parse(t, "n_init: 2", "  a: {type: categorical, choices: [x, y, z]}\n  b: {type: int, low: 0, high: 2}\n")
	smp, _ := gp.New(gp.Options{Seed: 3})
	h, _ := run(t, smp, s, func(p search.Point) float64 { return float64(len(p.Key())) }, 9, 4, 1)
	keys := map[string]bool{}
	for _, o := range h.Trials {
		if keys[o.Point.Key()] {
			t.Errorf("point %v repeated while the 9-point space had untried points", o.Point)
		}
		keys[o.Point.Key()] = true
	}
}

// TestRestartedSamplerSuggestsTheSame: a fresh sampler (a restarted study:
// empty cache) and one that has run the whole study suggest the same
// points for the same history and rng state, including when the
// hyperparameters come from a refit several trials back.
func TestRestartedSamplerSuggestsTheSame(t *testing.T) {
	f, _ := benchfn.Get("hartmann6")
	s, set := parse(t, "refit_every: 7", f.SpaceYAML)
	loss := func(p search.Point) float64 { v, _ := f.Eval(s.Values(p)); return v }
	o, _ := gp.OptionsFrom(s, set)
	a, _ := gp.New(o)
	h, _ := run(t, a, s, loss, 32, 1, 4)
	h.Add(search.Observation{ID: 99, Point: h.Trials[3].Point, Status: search.Pending})
	b, _ := gp.New(o)
	pa, err := a.SampleBatch(s, h, rand.New(rand.NewPCG(8, 8)), 3)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := b.SampleBatch(s, h, rand.New(rand.NewPCG(8, 8)), 3)
	if err != nil {
		t.Fatal(err)
	}
	for i := range pa {
		if !pa[i].Equal(pb[i]) {
			t.Errorf("point %d: uninterrupted %v, restarted %v", i, pa[i], pb[i])
		}
	}
}

func TestRobustness(t *testing.T) {
	cont := "  x: {type: float, low: -5, high: 5}\n  y: {type: float, low: 0, high: 1}\n  c: {type: categorical, choices: [a, b]}\n"
	var wide strings.Builder
	for i := 0; i < 50; i++ {
		wide.WriteString("  p" + string(rune('a'+i/26)) + string(rune('a'+i%26)) + ": {type: float, low: 0, high: 1}\n")
	}
	type obs struct {
		loss   float64
		status search.Status
	}
	cases := []struct {
		name   string
		params string
		n      int
		loss   func(i int) obs
		logged int
	}{
		{"nan-and-inf", cont, 30, func(i int) obs {
			switch i % 4 {
			case 0:
				return obs{math.NaN(), search.Complete}
			case 1:
				return obs{math.Inf(1), search.Complete}
			case 2:
				return obs{math.Inf(-1), search.Complete}
			}
			return obs{float64(i), search.Complete}
		}, 15},
		{"all-equal", cont, 30, func(int) obs { return obs{1, search.Complete} }, 0},
		{"single", cont, 1, func(int) obs { return obs{1, search.Complete} }, 0},
		{"pruned-failed-pending", cont, 30, func(i int) obs {
			return obs{float64(i), []search.Status{search.Complete, search.Pruned, search.Failed, search.Pending}[i%4]}
		}, 0},
		{"50-dims", wide.String(), 150, func(i int) obs { return obs{float64(i % 17), search.Complete} }, 0},
		{"5000-observations", cont, 5000, func(i int) obs { return obs{math.Sin(float64(i)), search.Complete} }, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, _ := parse(t, "", c.params)
			smp, _ := gp.New(gp.Options{Seed: 3})
			var buf bytes.Buffer
			smp.Log = slog.New(slog.NewTextHandler(&buf, nil))
			rng := rand.New(rand.NewPCG(1, 2))
			h := &search.History{}
			u := make([]float64, s.Dim())
			for i := 0; i < c.n; i++ {
				for k := range u {
					u[k] = rng.Float64()
				}
				ob := c.loss(i)
				h.Add(search.Observation{ID: i, Point: s.Decode(u), Status: ob.status, Loss: ob.loss, HasLoss: ob.status != search.Failed})
			}
			// Duplicated points: the last trial twice more, with other losses.
			for k := 0; k < 2; k++ {
				h.Add(search.Observation{ID: c.n + k, Point: h.Trials[c.n-1].Point, Status: search.Complete, Loss: float64(3 + k), HasLoss: true})
			}
			for call := 0; call < 2; call++ {
				ps, err := smp.SampleBatch(s, h, rng, 2)
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range ps {
					if err := s.Check(p); err != nil {
						t.Fatalf("invalid point: %v", err)
					}
				}
			}
			if got := strings.Count(buf.String(), "left out"); got != c.logged {
				t.Errorf("%d log lines about dropped trials over two calls, want %d:\n%s", got, c.logged, buf.String())
			}
		})
	}
}

// TestConcurrentUse: one sampler serving several studies at once (the
// cache and the log are shared) gives each the answer it gives alone.
func TestConcurrentUse(t *testing.T) {
	f, _ := benchfn.Get("branin")
	s, _ := parse(t, "", f.SpaceYAML)
	loss := func(p search.Point) float64 { v, _ := f.Eval(s.Values(p)); return v }
	smp, _ := gp.New(gp.Options{Seed: 3})
	var hs []*search.History
	var want []search.Point
	for seed := uint64(0); seed < 4; seed++ {
		h, _ := run(t, randomSampler{}, s, loss, 12+int(seed), 1, seed)
		hs = append(hs, h)
		p, err := smp.Sample(s, h, rand.New(rand.NewPCG(seed, 9)))
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, p)
	}
	fresh, _ := gp.New(gp.Options{Seed: 3})
	got := make([]search.Point, len(hs))
	done := make(chan int)
	for i := range hs {
		go func() {
			got[i], _ = fresh.Sample(s, hs[i], rand.New(rand.NewPCG(uint64(i), 9)))
			done <- i
		}()
	}
	for range hs {
		<-done
	}
	for i := range hs {
		if !got[i].Equal(want[i]) {
			t.Errorf("study %d: concurrent %v, alone %v", i, got[i], want[i])
		}
	}
}
