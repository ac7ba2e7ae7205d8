package nsga2_test

import (
	"testing"

	"automl/search"
	"automl/search/nsga2"
	"automl/search/searchtest"
)

func newSampler(s *search.Space, set search.Settings) (search.Sampler, error) {
	o, err := nsga2.OptionsFrom(s, set)
	if err != nil {
		return nil, err
	}
	return nsga2.New(o)
}

// A population of 8 makes the 40-trial studies of the suite breed four
// generations and the 16 imported results an elite at once (Learns).
func TestConformance(t *testing.T) {
	searchtest.RunSampler(t, searchtest.Config{Algorithm: "nsga2", Options: "population: 8", Learns: true}, newSampler)
}

// With the default population the suite's studies never leave the uniform
// start: that path conforms too.
func TestConformanceDefault(t *testing.T) {
	searchtest.RunSampler(t, searchtest.Config{Algorithm: "nsga2"}, newSampler)
}
