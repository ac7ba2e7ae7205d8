package random_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"automl/search"
	"automl/search/random"
	"automl/search/searchtest"
	"automl/spacefile"
)

func TestConformance(t *testing.T) {
	searchtest.RunSampler(t, searchtest.Config{Algorithm: "random"},
		func(*search.Space, search.Settings) (search.Sampler, error) { return random.Sampler{}, nil })
}

// TestConformanceGoals: studies of several objectives and constraints
// (random ignores the results, so no reads-goals check).
func TestConformanceGoals(t *testing.T) {
	searchtest.RunGoals(t, searchtest.Config{Algorithm: "random"})
}

// TestInactiveParametersAreAbsent: over many draws of a conditional space,
// every inactive parameter is absent and every active one has a value.
func TestInactiveParametersAreAbsent(t *testing.T) {
	var c searchtest.Case
	for _, sc := range searchtest.Spaces() {
		if sc.Name == "conditional" {
			c = sc
		}
	}
	space, _ := searchtest.Space(t, searchtest.Config{Algorithm: "random"}, c, 5)
	rng := rand.New(rand.NewPCG(5, 5))
	absent := 0
	for i := 0; i < 2000; i++ {
		p, err := random.Sampler{}.Sample(space, nil, rng)
		if err != nil {
			t.Fatal(err)
		}
		act := space.Active(p)
		for j := range p {
			if act[j] == p[j].IsAbsent() {
				t.Fatalf("draw %d: parameter %q active %t but value %v", i, space.Params[j].Name, act[j], p[j])
			}
			if !act[j] {
				absent++
			}
		}
	}
	if absent == 0 {
		t.Fatal("no parameter was ever inactive: the conditions were not exercised")
	}
}

// BenchSpace is the 10-parameter space of the sampling benchmarks.
const benchSpace = `
objective: {metric: loss, direction: minimize}
algorithm: {name: %s, seed: 1}
trainer: {plugin: ./searchtest-null}
parameters:
  lr: {type: float, low: 1.0e-5, high: 1.0e-1, log: true}
  wd: {type: float, low: 1.0e-8, high: 1.0e-2, log: true}
  eps: {type: float, low: 1.0e-9, high: 1.0e-6, log: true}
  dropout: {type: float, low: 0, high: 0.5}
  momentum: {type: float, low: 0.5, high: 0.99}
  warmup: {type: float, low: 0, high: 0.2}
  layers: {type: int, low: 1, high: 8}
  units: {type: int, low: 16, high: 1024, log: true}
  activation: {type: categorical, choices: [relu, tanh, gelu]}
  batch: {type: categorical, choices: [32, 64, 128, 256]}
`

// BenchmarkSample10D is the cost of one random point in 10-D (ns/op = per point).
func BenchmarkSample10D(b *testing.B) {
	f, err := spacefile.Parse("bench.yaml", fmt.Appendf(nil, benchSpace, "random"))
	if err != nil {
		b.Fatal(err)
	}
	space := f.Space
	rng := rand.New(rand.NewPCG(1, 2))
	h := &search.History{}
	for b.Loop() {
		if _, err := (random.Sampler{}).Sample(space, h, rng); err != nil {
			b.Fatal(err)
		}
	}
}
