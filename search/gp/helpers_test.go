package gp_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"automl/search"
	"automl/search/searchtest"
	"automl/spacefile"
)

func parse(t testing.TB, opts, params string) (*search.Space, search.Settings) {
	t.Helper()
	if opts != "" {
		opts = ", " + opts
	}
	yaml := fmt.Sprintf("study: t\nobjective: {metric: loss, direction: minimize}\nalgorithm: {name: gp, seed: 3%s}\ntrainer: {plugin: %s}\nparameters:\n%s",
		opts, searchtest.TrainerName, params)
	f, err := spacefile.Parse("t.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return f.Space, f.Algorithm.Settings(3)
}

// run drives a sampler for n trials, q at a time (each batch evaluated
// after it is proposed, as q free slots would).
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
	sort.Float64s(s)
	return s[len(s)/2]
}
