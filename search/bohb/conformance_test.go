package bohb_test

import (
	"testing"

	"automl/search/searchtest"
)

func TestConformance(t *testing.T) {
	searchtest.Run(t, searchtest.Config{Algorithm: "bohb", Learns: true, Options: "min_resource: 1, max_resource: 9, reduction_factor: 3, min_points: 3"})
}
