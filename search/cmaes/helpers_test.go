package cmaes_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"automl/search"
	"automl/search/searchtest"
	"automl/spacefile"
)

// parse builds a space for cmaes with extra options and a parameters section.
func parse(t testing.TB, opts, params string) (*search.Space, search.Settings) {
	t.Helper()
	if opts != "" {
		opts = ", " + opts
	}
	yaml := fmt.Sprintf("study: t\nobjective: {metric: loss, direction: minimize}\nalgorithm: {name: cmaes, seed: 3%s}\ntrainer: {plugin: %s}\nparameters:\n%s",
		opts, searchtest.TrainerName, params)
	f, err := spacefile.Parse("t.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return f.Space, f.Algorithm.Settings(3)
}

// floats writes d float parameters x0..x(d-1) in [lo, hi].
func floats(d int, lo, hi float64) string {
	var b strings.Builder
	for i := range d {
		fmt.Fprintf(&b, "  x%d: {type: float, low: %g, high: %g}\n", i, lo, hi)
	}
	return b.String()
}

// xs are a point's numeric values in parameter order.
func xs(_ *search.Space, p search.Point) []float64 {
	out := make([]float64, len(p))
	for i, v := range p {
		out[i], _ = v.Float()
	}
	return out
}

func sphere(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v * v
	}
	return s
}

func rosenbrock(x []float64) float64 {
	s := 0.0
	for i := 0; i+1 < len(x); i++ {
		s += 100*(x[i+1]-x[i]*x[i])*(x[i+1]-x[i]*x[i]) + (1-x[i])*(1-x[i])
	}
	return s
}

func rastrigin(x []float64) float64 {
	s := 10 * float64(len(x))
	for _, v := range x {
		s += v*v - 10*math.Cos(2*math.Pi*v)
	}
	return s
}

// study runs a sampler sequentially for n trials (q slots: q trials
// pending at once, the oldest completing first) and returns the history.
func study(t testing.TB, smp search.Sampler, space *search.Space, f func(search.Point) float64, n, q int, seed uint64) *search.History {
	t.Helper()
	h := &search.History{}
	rng := rand.New(rand.NewPCG(seed, 7))
	var running []int
	for h.Len() < n || len(running) > 0 {
		for len(running) < q && h.Len() < n {
			p, err := smp.Sample(space, h, rng)
			if err != nil {
				t.Fatal(err)
			}
			if err := space.Check(p); err != nil {
				t.Fatalf("trial %d: %v", h.Len(), err)
			}
			running = append(running, h.Len())
			h.Add(search.Observation{ID: h.Len(), Point: p, Status: search.Pending})
		}
		o := &h.Trials[running[0]]
		running = running[1:]
		o.Status, o.Loss, o.HasLoss = search.Complete, f(o.Point), true
	}
	return h
}

func best(h *search.History) float64 {
	b := math.Inf(1)
	for _, o := range h.Trials {
		if o.HasLoss {
			b = math.Min(b, o.Loss)
		}
	}
	return b
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
