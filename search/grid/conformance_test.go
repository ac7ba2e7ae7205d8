package grid_test

import (
	"testing"

	"automl/search"
	"automl/search/grid"
	"automl/search/searchtest"
)

func TestConformance(t *testing.T) {
	searchtest.RunSampler(t, searchtest.Config{Algorithm: "grid", Discrete: true},
		func(s *search.Space, set search.Settings) (search.Sampler, error) { return grid.New(s, set.Seed) })
}
