package cmaes_test

import (
	"math/rand/v2"
	"testing"

	"automl/search"
	"automl/search/benchfn"
	"automl/search/cmaes"
)

// history1000 is a study of Hartmann-6 run by the sampler itself: 1,000
// complete trials and 7 pending ones (the other slots of q = 8).
func history1000(b *testing.B) (*search.Space, search.Settings, *search.History) {
	space, set := parse(b, "", floats(6, 0, 1))
	smp := newSampler(b, space, set)
	h := study(b, smp, space, func(p search.Point) float64 { return benchfn.Hartmann6(xs(space, p)) }, 1000, 8, 1)
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range 7 {
		p, err := smp.Sample(space, h, rng)
		if err != nil {
			b.Fatal(err)
		}
		h.Add(search.Observation{ID: 1000 + i, Point: p, Status: search.Pending})
	}
	return space, set, h
}

// BenchmarkSuggest is one suggestion at 1,000 observations with 7 trials
// pending (q = 8), by the study's sampler (its replay cached from the
// calls before).
func BenchmarkSuggest(b *testing.B) {
	space, set, h := history1000(b)
	smp := newSampler(b, space, set)
	rng := rand.New(rand.NewPCG(2, 2))
	if _, err := smp.Sample(space, h, rng); err != nil { // warm the cache as a study's earlier calls do
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := smp.Sample(space, h, rng); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSuggestCold is the same suggestion by a new sampler: the whole
// history replayed (a resumed study's first call).
func BenchmarkSuggestCold(b *testing.B) {
	space, set, h := history1000(b)
	rng := rand.New(rand.NewPCG(2, 2))
	b.ResetTimer()
	for b.Loop() {
		o, _ := cmaes.OptionsFrom(space, set)
		smp, _ := cmaes.New(o)
		if _, err := smp.Sample(space, h, rng); err != nil {
			b.Fatal(err)
		}
	}
}
