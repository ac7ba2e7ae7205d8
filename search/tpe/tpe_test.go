package tpe_test

import (
	"bytes"
	"log/slog"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"automl/search"
	"automl/search/benchfn"
	"automl/search/searchtest"
	"automl/search/tpe"
	"automl/spacefile"
)

func TestConformance(t *testing.T) {
	searchtest.Run(t, searchtest.Config{Algorithm: "tpe", Options: "n_startup_trials: 5", Learns: true})
}

func TestConformanceMultivariateGroup(t *testing.T) {
	searchtest.Run(t, searchtest.Config{Algorithm: "tpe", Options: "n_startup_trials: 5, multivariate: true, group: true", Learns: true})
}

func TestSamplerConformance(t *testing.T) {
	searchtest.RunSampler(t, searchtest.Config{Algorithm: "tpe", Options: "n_startup_trials: 5", Learns: true},
		func(s *search.Space, set search.Settings) (search.Sampler, error) {
			o, err := tpe.OptionsFrom(s, set)
			if err != nil {
				return nil, err
			}
			return tpe.New(o)
		})
}

func TestOptionsFromSpaceFile(t *testing.T) {
	s, set := parse(t, "tpe", "gamma: 0.25, gamma_max: 10, prior_weight: 2, n_ei_candidates: 48, n_startup_trials: 3, "+
		"consider_endpoints: true, consider_magic_clip: false, multivariate: true, group: true, constant_liar: false",
		"  x: {type: float, low: 0, high: 1}\n")
	o, err := tpe.OptionsFrom(s, set)
	if err != nil {
		t.Fatal(err)
	}
	want := tpe.Options{NStartupTrials: 3, NEICandidates: 48, Gamma: 0.25, GammaMax: 10, PriorWeight: 2,
		ConsiderEndpoints: true, ConsiderMagicClip: false, Multivariate: true, Group: true, ConstantLiar: false}
	if o != want {
		t.Errorf("options %+v, want %+v", o, want)
	}
	if o, _ := tpe.OptionsFrom(parse(t, "tpe", "", "  x: {type: float, low: 0, high: 1}\n")); o != tpe.DefaultOptions() {
		t.Errorf("no options: %+v, want the defaults %+v", o, tpe.DefaultOptions())
	}
}

func TestBadOptionsAreSpaceFileErrors(t *testing.T) {
	for _, c := range []struct{ opts, want string }{
		{"gamma: 1.5", "gamma must be in (0, 1]"},
		{"gamma: 0", "gamma must be in (0, 1]"},
		{"prior_weight: 0", "prior_weight must be a positive number"},
		{"group: true", "group: true needs multivariate: true"},
		{"n_ei_candidates: 0", "must be >= 1"},
		{"gama: 0.2", `unknown key "gama" for algorithm tpe (did you mean "gamma"?)`},
		{"multivariate: yes please", "multivariate"},
	} {
		yaml := "study: t\nobjective: {metric: loss, direction: minimize}\nalgorithm: {name: tpe, " + c.opts +
			"}\ntrainer: {plugin: " + searchtest.TrainerName + "}\nparameters:\n  x: {type: float, low: 0, high: 1}\n"
		_, err := spacefile.Parse("t.yaml", []byte(yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.opts, err, c.want)
		}
	}
}

// archSpace is the architecture space of the issue: units_i is active
// when num_layers >= i.
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
		l += 1
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

// run drives a sampler sequentially (or in batches of q) for n trials.
func run(t testing.TB, smp search.Sampler, s *search.Space, loss func(search.Point) float64, n, q int, seed uint64) (*search.History, float64) {
	t.Helper()
	h := &search.History{}
	rng := rand.New(rand.NewPCG(seed, 1))
	best := math.Inf(1)
	for h.Len() < n {
		ps, err := search.SampleN(smp, s, h, rng, min(q, n-h.Len()))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			if err := s.Check(p); err != nil {
				t.Fatalf("invalid point %v: %v", p, err)
			}
			v := loss(p)
			best = math.Min(best, v)
			h.Add(search.Observation{ID: h.Len(), Point: p, Status: search.Complete, Loss: v, HasLoss: true})
		}
	}
	return h, best
}

func TestConditionalArchitectureSpace(t *testing.T) {
	for _, opts := range []string{"", "multivariate: true", "multivariate: true, group: true"} {
		s, set := parse(t, "tpe", opts, archSpace)
		o, err := tpe.OptionsFrom(s, set)
		if err != nil {
			t.Fatal(err)
		}
		var tpeBest, randBest []float64
		for seed := uint64(0); seed < 5; seed++ {
			smp, _ := tpe.New(o)
			_, b := run(t, smp, s, func(p search.Point) float64 { return archLoss(s, p) }, 60, 1, seed)
			tpeBest = append(tpeBest, b)
			_, b = run(t, randomSampler{}, s, func(p search.Point) float64 { return archLoss(s, p) }, 60, 1, seed)
			randBest = append(randBest, b)
		}
		if m, r := med(tpeBest), med(randBest); m >= r {
			t.Errorf("%q: median best loss after 60 trials %.3f, random search %.3f", opts, m, r)
		}
	}
}

type randomSampler struct{}

func (randomSampler) Sample(s *search.Space, _ *search.History, rng *rand.Rand) (search.Point, error) {
	u := make([]float64, s.Dim())
	for i := range u {
		u[i] = rng.Float64()
	}
	return s.Decode(u), nil
}

func med(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s[len(s)/2]
}

func TestBeatsRandomOnBenchmarks(t *testing.T) {
	for _, name := range []string{"branin", "hartmann6", "mixed"} {
		f, _ := benchfn.Get(name)
		s, _ := parse(t, "tpe", "", f.SpaceYAML)
		loss := func(p search.Point) float64 { v, _ := f.Eval(s.Values(p)); return v }
		var tb, rb []float64
		for seed := uint64(0); seed < 7; seed++ {
			smp, _ := tpe.New(tpe.DefaultOptions())
			_, b := run(t, smp, s, loss, 80, 1, seed)
			tb = append(tb, b)
			_, b = run(t, randomSampler{}, s, loss, 80, 1, seed)
			rb = append(rb, b)
		}
		if med(tb) >= med(rb) {
			t.Errorf("%s: median best after 80 trials %.4g, random %.4g", name, med(tb), med(rb))
		}
	}
}

// TestParallelSlots: 8 slots at once get 8 distinct points, and the regret
// at the same trial count stays within 1.5x of the sequential one.
func TestParallelSlots(t *testing.T) {
	f, _ := benchfn.Get("branin")
	s, _ := parse(t, "tpe", "", f.SpaceYAML)
	loss := func(p search.Point) float64 { v, _ := f.Eval(s.Values(p)); return v }
	var seq, par []float64
	for seed := uint64(0); seed < 9; seed++ {
		smp, _ := tpe.New(tpe.DefaultOptions())
		_, b := run(t, smp, s, loss, 80, 1, seed)
		seq = append(seq, f.Regret(b))
		h, b := run(t, smp, s, loss, 80, 8, seed)
		par = append(par, f.Regret(b))
		keys := map[string]bool{}
		for _, o := range h.Trials {
			if keys[o.Point.Key()] {
				t.Fatalf("seed %d: point %v suggested twice", seed, o.Point)
			}
			keys[o.Point.Key()] = true
		}
	}
	t.Logf("median regret: sequential %.4g, 8 slots %.4g", med(seq), med(par))
	if med(par) > 1.5*med(seq) {
		t.Errorf("median regret with 8 slots %.4g, sequential %.4g: more than 1.5x", med(par), med(seq))
	}
}

func TestBatchInSmallDiscreteSpaceAvoidsRepeats(t *testing.T) {
	s, _ := parse(t, "tpe", "n_startup_trials: 2", "  a: {type: categorical, choices: [x, y, z]}\n  b: {type: int, low: 0, high: 2}\n")
	smp, _ := tpe.New(tpe.DefaultOptions())
	h, _ := run(t, smp, s, func(p search.Point) float64 { return float64(len(p.Key())) }, 9, 3, 1)
	keys := map[string]bool{}
	for _, o := range h.Trials {
		if keys[o.Point.Key()] {
			t.Errorf("point %v repeated while the 9-point space had untried points", o.Point)
		}
		keys[o.Point.Key()] = true
	}
}

func TestSameSeedSameSuggestionsAndPure(t *testing.T) {
	f, _ := benchfn.Get("mixed")
	s, _ := parse(t, "tpe", "", f.SpaceYAML)
	loss := func(p search.Point) float64 { v, _ := f.Eval(s.Values(p)); return v }
	a, _ := tpe.New(tpe.DefaultOptions())
	h, _ := run(t, a, s, loss, 30, 1, 5)
	snapshot := append([]search.Observation(nil), h.Trials...)
	r1 := rand.New(rand.NewPCG(9, 9))
	r2 := rand.New(rand.NewPCG(9, 9))
	b, _ := tpe.New(tpe.DefaultOptions())
	p1, _ := a.SampleBatch(s, h, r1, 3)
	p2, _ := b.SampleBatch(s, h, r2, 3)
	for i := range p1 {
		if !p1[i].Equal(p2[i]) {
			t.Fatalf("same history and rng state, different points: %v vs %v", p1[i], p2[i])
		}
	}
	for i := range snapshot {
		if !snapshot[i].Point.Equal(h.Trials[i].Point) || snapshot[i].Status != h.Trials[i].Status || h.Len() != len(snapshot) {
			t.Fatal("the sampler modified the history")
		}
	}
}

// TestRobustness: awkward histories give a valid point without a panic,
// and a dropped trial is logged once.
func TestRobustness(t *testing.T) {
	cont := "  x: {type: float, low: -5, high: 5}\n  y: {type: float, low: 0, high: 1}\n"
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
			switch i % 3 {
			case 0:
				return obs{math.NaN(), search.Complete}
			case 1:
				return obs{math.Inf(1), search.Complete}
			}
			return obs{float64(i), search.Complete}
		}, 10},
		{"all-equal", cont, 30, func(int) obs { return obs{1, search.Complete} }, 0},
		{"single", cont, 1, func(int) obs { return obs{1, search.Complete} }, 0},
		{"pruned-failed-pending", cont, 30, func(i int) obs {
			return obs{float64(i), []search.Status{search.Complete, search.Pruned, search.Failed, search.Pending}[i%4]}
		}, 0},
		{"50-dims", wide.String(), 200, func(i int) obs { return obs{float64(i % 17), search.Complete} }, 0},
		{"5000-observations", cont, 5000, func(i int) obs { return obs{math.Sin(float64(i)), search.Complete} }, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, opts := range []string{"", "multivariate: true, group: true"} {
				s, set := parse(t, "tpe", opts, c.params)
				o, _ := tpe.OptionsFrom(s, set)
				smp, _ := tpe.New(o)
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
				// Duplicated points: the last trial once more.
				h.Add(search.Observation{ID: c.n, Point: h.Trials[c.n-1].Point, Status: search.Complete, Loss: 3, HasLoss: true})
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
			}
		})
	}
}

// TestConcurrentUse: one sampler serving several studies at once gives
// each the answer it gives alone.
func TestConcurrentUse(t *testing.T) {
	f, _ := benchfn.Get("mixed")
	s, _ := parse(t, "tpe", "", f.SpaceYAML)
	loss := func(p search.Point) float64 { v, _ := f.Eval(s.Values(p)); return v }
	smp, _ := tpe.New(tpe.DefaultOptions())
	var hs []*search.History
	var want []search.Point
	for seed := uint64(0); seed < 4; seed++ {
		h, _ := run(t, randomSampler{}, s, loss, 20+int(seed), 1, seed)
		hs = append(hs, h)
		p, err := smp.Sample(s, h, rand.New(rand.NewPCG(seed, 9)))
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, p)
	}
	fresh, _ := tpe.New(tpe.DefaultOptions())
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
