package tpe_test

import (
	"fmt"
	"testing"

	"automl/search"
	"automl/search/searchtest"
	"automl/spacefile"
)

// parse builds a space for algorithm algo with extra options and a
// parameters section.
func parse(t testing.TB, algo, opts, params string) (*search.Space, search.Settings) {
	t.Helper()
	if opts != "" {
		opts = ", " + opts
	}
	yaml := fmt.Sprintf("study: t\nobjective: {metric: loss, direction: minimize}\nalgorithm: {name: %s, seed: 3%s}\ntrainer: {plugin: %s}\nparameters:\n%s",
		algo, opts, searchtest.TrainerName, params)
	f, err := spacefile.Parse("t.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return f.Space, f.Algorithm.Settings(3)
}
