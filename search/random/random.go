// Package random is uniform random search: each parameter drawn
// independently and uniformly in the unit cube (so log-scale parameters are
// log-uniform), then decoded; inactive parameters are left out.
package random

import (
	"math/rand/v2"

	"automl/search"
)

// Sampler draws points uniformly at random. It needs no history: pending
// trials cannot make it repeat itself any more than chance does.
type Sampler struct{}

// Sample draws one point.
func (Sampler) Sample(space *search.Space, _ *search.History, rng *rand.Rand) (search.Point, error) {
	u := make([]float64, space.Dim())
	for i := range u {
		u[i] = rng.Float64()
	}
	return space.Decode(u), nil
}

func init() {
	search.Register(search.AlgorithmSpec{
		Name:     "random",
		Doc:      "uniform random search",
		Prefetch: true, MultiObjective: true,
		New: func(*search.Space, search.Settings) (search.Searcher, error) {
			return search.NewSamplerSearcher(Sampler{}), nil
		},
	})
}
