package fidelitytest

import (
	"fmt"

	"automl/search"
	"automl/search/searchtest"
	"automl/spacefile"
)

// Space parses a study of three float parameters in [0, 1] (x0, x1, x2)
// for the named algorithm with the given options (YAML flow, e.g.
// "max_resource: 81"), using searchtest's null trainer, and returns its
// parameter space and the algorithm's settings.
func Space(t TB, algorithm, options string, seed uint64) (*search.Space, search.Settings) {
	t.Helper()
	src := fmt.Sprintf(`study: fidelitytest
objective: {metric: loss, direction: minimize}
algorithm: {name: %s, seed: %d, %s}
trainer: {plugin: %s}
parameters:
  x0: {type: float, low: 0, high: 1}
  x1: {type: float, low: 0, high: 1}
  x2: {type: float, low: 0, high: 1}
`, algorithm, seed, options, searchtest.TrainerName)
	f, err := spacefile.Parse(algorithm+".yaml", []byte(src))
	if err != nil {
		t.Fatalf("fidelitytest: parse space: %v", err)
	}
	return f.Space, f.Algorithm.Settings(seed)
}
