package median_test

import (
	"testing"

	"automl/search/searchtest"
)

func TestConformance(t *testing.T) {
	searchtest.Run(t, searchtest.Config{Algorithm: "median", Options: "max_resource: 4, n_startup_trials: 2"})
}
