package searchtest

import (
	"fmt"
	"strings"
	"testing"

	"automl/search"
	"automl/spacefile"
)

// TrainerName is the trainer of test spaces: a plugin path, which the
// space file accepts without a built-in trainer's checks (nothing runs it).
const TrainerName = "./searchtest-null"

// Case is one space of the suite: its parameters section. In Params, the
// marker {P} stands after each continuous float's bounds; it becomes
// ", points: 3" when Config.Discrete is set and disappears otherwise.
type Case struct {
	Name   string
	Params string
	// Goals, when set, stands in the space file for the objective: line
	// (objectives:, constraints:), and Report fills in what a trial of
	// such a study reports beyond Loss (search.Observation's Losses and
	// Violation); see GoalSpaces.
	Goals  string
	Report func(space *search.Space, o *search.Observation)
}

// Spaces returns the standard spaces of the suite.
func Spaces() []Case {
	return []Case{
		{Name: "continuous", Params: `
  x: {type: float, low: -5, high: 10{P}}
  y: {type: float, low: 0, high: 15{P}}
  z: {type: float, low: -1, high: 1{P}}
`},
		{Name: "log", Params: `
  lr: {type: float, low: 1.0e-5, high: 1.0e-1, log: true{P}}
  wd: {type: float, low: 1.0e-8, high: 1.0e-2, log: true{P}}
  units: {type: int, low: 16, high: 512, log: true}
`},
		{Name: "int-step", Params: `
  n: {type: int, low: 0, high: 100, step: 5}
  m: {type: int, low: -3, high: 3}
  f: {type: float, low: 0, high: 1, step: 0.25}
`},
		{Name: "categorical", Params: `
  optimizer: {type: categorical, choices: [sgd, adam, rmsprop]}
  batch: {type: categorical, choices: [32, 64, 128, 256]}
  ratio: {type: categorical, choices: [0.5, 2, auto]}
  flag: {type: categorical, choices: [true, false]}
`},
		{Name: "conditional", Params: `
  optimizer: {type: categorical, choices: [sgd, momentum, adam]}
  momentum: {type: float, low: 0.5, high: 0.99, when: {optimizer: momentum}{P}}
  nesterov: {type: categorical, choices: [true, false], when: {optimizer: momentum}}
  dampening: {type: float, low: 0, high: 0.5, when: {nesterov: false}{P}}
  layers: {type: int, low: 1, high: 3}
  units2: {type: int, low: 16, high: 64, step: 48, when: {layers: [2, 3]}}
  units3: {type: int, low: 1, high: 2, when: {layers: 3}}
  beta2: {type: categorical, choices: [0.99, 0.999], when: {optimizer: adam, layers: [2, 3]}}
`},
	}
}

// SpaceYAML writes a whole space file around a parameters section.
func SpaceYAML(cfg Config, c Case, seed uint64) string {
	params := c.Params
	if cfg.Discrete {
		params = strings.ReplaceAll(params, "{P}", ", points: 3")
	} else {
		params = strings.ReplaceAll(params, "{P}", "")
	}
	opts := ""
	if cfg.Options != "" {
		opts = ", " + cfg.Options
	}
	goals := c.Goals
	if goals == "" {
		goals = "objective: {metric: loss, direction: minimize}\n"
	}
	return fmt.Sprintf(`study: searchtest-%s
%salgorithm: {name: %s, seed: %d%s}
trainer: {plugin: %s}
parameters:%s`, c.Name, goals, cfg.Algorithm, seed, opts, TrainerName, params)
}

// Space parses a test space, failing the test on any error, and returns
// its parameter space and the algorithm's settings.
func Space(t testing.TB, cfg Config, c Case, seed uint64) (*search.Space, search.Settings) {
	t.Helper()
	f, err := spacefile.Parse(c.Name+".yaml", []byte(SpaceYAML(cfg, c, seed)))
	if err != nil {
		t.Fatalf("parse space %s: %v", c.Name, err)
	}
	return f.Space, f.Algorithm.Settings(seed)
}
