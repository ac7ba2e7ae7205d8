package asha_test

import (
	"testing"

	"automl/search/searchtest"
)

func TestConformance(t *testing.T) {
	searchtest.Run(t, searchtest.Config{Algorithm: "asha", Learns: true, Options: "min_resource: 1, max_resource: 9, reduction_factor: 3"})
}

// TestConformanceCMAES: CMA-ES as the rung sampler (any registered
// single-fidelity algorithm is one), fed one budget's results.
func TestConformanceCMAES(t *testing.T) {
	searchtest.Run(t, searchtest.Config{Algorithm: "asha", Learns: true, Options: "min_resource: 1, max_resource: 9, reduction_factor: 3, sampler: cmaes", Trials: 80})
}
