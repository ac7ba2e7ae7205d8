package nsga2_test

import (
	"math/rand/v2"
	"testing"

	"automl/search"
	"automl/search/nsga2"
)

// BenchmarkSuggest is the suggestion overhead of the issue: one proposal
// after 1,000 completed trials of 2-objective ZDT1 in 6 variables (goal:
// under 5 ms).
func BenchmarkSuggest(b *testing.B) {
	space := unitSpace(b, 6)
	rng := rand.New(rand.NewPCG(7, 7))
	h := &search.History{}
	u := make([]float64, space.Dim())
	for i := range 1000 {
		for k := range u {
			u[k] = rng.Float64()
		}
		p := space.Decode(u)
		f := zdt1(space.Encode(p))
		h.Add(search.Observation{ID: i, Point: p, Status: search.Complete, HasLoss: true, Loss: f[0], Losses: f})
	}
	smp, err := nsga2.New(nsga2.DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := smp.Sample(space, h, rng); err != nil {
			b.Fatal(err)
		}
	}
}
