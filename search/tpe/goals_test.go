package tpe_test

import (
	"testing"

	"automl/search"
	"automl/search/searchtest"
	"automl/search/tpe"
)

// Several objectives and constraints through the conformance suite: the
// contracts hold, and the proposals follow every objective and the
// constraint, not Loss alone (RunGoals' reads-goals check).
func TestConformanceGoals(t *testing.T) {
	searchtest.RunGoals(t, searchtest.Config{Algorithm: "tpe", Options: "n_startup_trials: 5", Learns: true})
}

func TestConformanceGoalsMultivariateGroup(t *testing.T) {
	searchtest.RunGoals(t, searchtest.Config{Algorithm: "tpe", Options: "n_startup_trials: 5, multivariate: true, group: true", Learns: true})
}

func TestSamplerConformanceGoals(t *testing.T) {
	searchtest.RunSampler(t, searchtest.Config{Algorithm: "tpe", Options: "n_startup_trials: 5", Learns: true, Spaces: searchtest.GoalSpaces()},
		func(s *search.Space, set search.Settings) (search.Sampler, error) {
			o, err := tpe.OptionsFrom(s, set)
			if err != nil {
				return nil, err
			}
			return tpe.New(o)
		})
}
