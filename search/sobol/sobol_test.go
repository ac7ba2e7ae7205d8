package sobol_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"automl/search"
	"automl/search/random"
	"automl/search/searchtest"
	"automl/search/sobol"
	"automl/spacefile"
)

func TestConformance(t *testing.T) {
	searchtest.RunSampler(t, searchtest.Config{Algorithm: "sobol"},
		func(s *search.Space, set search.Settings) (search.Sampler, error) {
			return sobol.New(s.Dim(), set.Seed, true)
		})
}

// unitCase is d floats on [0, 1], so a decoded point is its cube point.
func unitCase(d int) searchtest.Case {
	var b strings.Builder
	for i := 0; i < d; i++ {
		fmt.Fprintf(&b, "\n  x%d: {type: float, low: 0, high: 1}", i)
	}
	return searchtest.Case{Name: "unit", Params: b.String() + "\n"}
}

// unitSpace is the space of unitCase(d).
func unitSpace(t testing.TB, algorithm string, d int, seed uint64, opts string) *search.Space {
	cfg := searchtest.Config{Algorithm: algorithm, Options: opts}
	space, _ := searchtest.Space(t, cfg, unitCase(d), seed)
	return space
}

// draw samples n points as a study does: each new point sees the earlier
// ones as pending trials.
func draw(t testing.TB, s search.Sampler, space *search.Space, seed uint64, n int) [][]float64 {
	h := &search.History{}
	rng := rand.New(rand.NewPCG(seed, 0))
	ps, err := search.SampleN(s, space, h, rng, n)
	if err != nil {
		t.Fatal(err)
	}
	out := make([][]float64, len(ps))
	for i, p := range ps {
		out[i] = make([]float64, len(p))
		for j, v := range p {
			out[i][j], _ = v.Float()
		}
	}
	return out
}

func TestNoRepeatedPoints(t *testing.T) {
	space := unitSpace(t, "sobol", 21, 3, "")
	s, err := sobol.New(21, 3, true)
	if err != nil {
		t.Fatal(err)
	}
	pts := draw(t, s, space, 0, 4096)
	seen := map[string]int{}
	for i, p := range pts {
		k := fmt.Sprint(p)
		if j, dup := seen[k]; dup {
			t.Fatalf("point %d repeats point %d", i, j)
		}
		seen[k] = i
	}
	// Not only distinct as vectors: every coordinate is new too.
	for d := 0; d < 21; d++ {
		vals := map[float64]bool{}
		for _, p := range pts {
			vals[p[d]] = true
		}
		if len(vals) != len(pts) {
			t.Fatalf("dimension %d: %d distinct values in %d points", d, len(vals), len(pts))
		}
	}
}

// TestDiscrepancyBeatsRandom: at n = 256, the scrambled Sobol points of
// each seed are more uniform (lower centred L2 discrepancy) than random
// points on average over seeds.
func TestDiscrepancyBeatsRandom(t *testing.T) {
	const n, seeds = 256, 8
	for _, d := range []int{2, 6} {
		randSum := 0.0
		for seed := uint64(1); seed <= seeds; seed++ {
			randSum += searchtest.CenteredL2(draw(t, random.Sampler{}, unitSpace(t, "random", d, seed, ""), seed, n))
		}
		randMean := randSum / seeds
		for seed := uint64(1); seed <= seeds; seed++ {
			s, err := sobol.New(d, seed, true)
			if err != nil {
				t.Fatal(err)
			}
			got := searchtest.CenteredL2(draw(t, s, unitSpace(t, "sobol", d, seed, ""), seed, n))
			t.Logf("d=%d seed %d: Sobol CD² %.3g, random mean %.3g", d, seed, got, randMean)
			if got >= randMean {
				t.Errorf("d=%d seed %d: Sobol discrepancy %.3g is not below random's %.3g", d, seed, got, randMean)
			}
		}
	}
}

// TestScrambleOption: scramble: false gives the plain sequence through the
// registered algorithm (point 1 is the cube's centre in every dimension).
func TestScrambleOption(t *testing.T) {
	for _, tc := range []struct {
		opts   string
		centre bool
	}{{"scramble: false", true}, {"scramble: true", false}, {"", false}} {
		space, set := searchtest.Space(t, searchtest.Config{Algorithm: "sobol", Options: tc.opts}, unitCase(3), 4)
		s, err := search.NewSearcher(space, set)
		if err != nil {
			t.Fatal(err)
		}
		h := &search.History{}
		id := 0
		acts, err := s.Start(search.Context{Space: space, History: h, Want: 2, NewID: func() int { id++; return id }})
		if err != nil || len(acts) != 2 {
			t.Fatalf("%q: %v, %v", tc.opts, acts, err)
		}
		centre := true
		for _, v := range acts[1].Point {
			x, _ := v.Float()
			centre = centre && x == 0.5
		}
		if centre != tc.centre {
			t.Errorf("%q: second point %s; centre %t, want %t", tc.opts, acts[1].Point.Key(), centre, tc.centre)
		}
	}
}

func TestTooManyParametersIsASpaceError(t *testing.T) {
	var b strings.Builder
	for i := 0; i <= sobol.MaxDim; i++ {
		fmt.Fprintf(&b, "\n  x%d: {type: float, low: 0, high: 1}", i)
	}
	cfg := searchtest.Config{Algorithm: "sobol"}
	_, err := spacefile.Parse("big.yaml", []byte(searchtest.SpaceYAML(cfg, searchtest.Case{Name: "big", Params: b.String()}, 0)))
	if err == nil || !strings.Contains(err.Error(), "sobol supports at most 1024 parameters, the space has 1025") {
		t.Fatalf("error %v", err)
	}
}

func Example() {
	f, err := spacefile.Parse("example.yaml", []byte(`
objective: {metric: loss, direction: minimize}
algorithm: {name: sobol, seed: 42}
trainer: {plugin: ./searchtest-null}
parameters:
  lr: {type: float, low: 1.0e-4, high: 1.0e-1, log: true}
  layers: {type: int, low: 1, high: 4}
  act: {type: categorical, choices: [relu, tanh]}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	space := f.Space
	s, _ := sobol.New(space.Dim(), *f.Algorithm.Seed, true)
	h := &search.History{}
	for i := 0; i < 4; i++ {
		p, _ := s.Sample(space, h, nil)
		v := space.Values(p)
		fmt.Printf("lr=%.5f layers=%d act=%s\n", v.Float("lr", 0), v.Int("layers", 0), v.String("act", ""))
		h.Add(search.Observation{ID: i, Point: p, Status: search.Pending})
	}
	// Output:
	// lr=0.04997 layers=3 act=tanh
	// lr=0.00099 layers=1 act=relu
	// lr=0.00027 layers=4 act=tanh
	// lr=0.00594 layers=2 act=relu
}

// benchSpace is the 10-parameter space of the sampling benchmarks (the
// same as search/random's).
const benchSpace = `
objective: {metric: loss, direction: minimize}
algorithm: {name: %s, seed: 1}
trainer: {plugin: ./searchtest-null}
parameters:
  lr: {type: float, low: 1.0e-5, high: 1.0e-1, log: true}
  wd: {type: float, low: 1.0e-8, high: 1.0e-2, log: true}
  eps: {type: float, low: 1.0e-9, high: 1.0e-6, log: true}
  dropout: {type: float, low: 0, high: 0.5}
  momentum: {type: float, low: 0.5, high: 0.99}
  warmup: {type: float, low: 0, high: 0.2}
  layers: {type: int, low: 1, high: 8}
  units: {type: int, low: 16, high: 1024, log: true}
  activation: {type: categorical, choices: [relu, tanh, gelu]}
  batch: {type: categorical, choices: [32, 64, 128, 256]}
`

// BenchmarkSample10D is the cost of one Sobol point in 10-D (ns/op = per
// point), with 10,000 trials already in the history.
func BenchmarkSample10D(b *testing.B) {
	f, err := spacefile.Parse("bench.yaml", fmt.Appendf(nil, benchSpace, "sobol"))
	if err != nil {
		b.Fatal(err)
	}
	space := f.Space
	s, err := sobol.New(space.Dim(), 1, true)
	if err != nil {
		b.Fatal(err)
	}
	h := &search.History{}
	for i := 0; i < 10_000; i++ {
		h.Add(search.Observation{ID: i, Status: search.Complete})
	}
	for b.Loop() {
		if _, err := s.Sample(space, h, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCube10D is the sequence alone: one 10-D cube point at indices
// around 2^40 (about 20 direction numbers XORed per coordinate).
func BenchmarkCube10D(b *testing.B) {
	s, err := sobol.New(10, 1, true)
	if err != nil {
		b.Fatal(err)
	}
	u := make([]float64, 10)
	i := uint64(1) << 40
	for b.Loop() {
		s.Cube(i, u)
		i++
	}
}

// BenchmarkNew10D is the one-off cost of building a scrambled 10-D sequence.
func BenchmarkNew10D(b *testing.B) {
	for b.Loop() {
		if _, err := sobol.New(10, 1, true); err != nil {
			b.Fatal(err)
		}
	}
}
