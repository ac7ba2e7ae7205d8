package cmaes_test

import (
	"testing"

	"automl/search"
	"automl/search/cmaes"
	"automl/search/searchtest"
)

// numeric are the standard spaces with a parameter CMA-ES models, so
// imported results move its first mean; categorical is the one without:
// every parameter is drawn by the independent sampler (random), which
// learns nothing.
func numeric() (with, without []searchtest.Case) {
	for _, c := range searchtest.Spaces() {
		if c.Name == "categorical" {
			without = append(without, c)
		} else {
			with = append(with, c)
		}
	}
	return with, without
}

func TestConformance(t *testing.T) {
	with, without := numeric()
	searchtest.Run(t, searchtest.Config{Algorithm: "cmaes", Learns: true, Spaces: with})
	searchtest.Run(t, searchtest.Config{Algorithm: "cmaes", Spaces: without})
}

// TestConformanceManyTrials runs the suite past several generations and
// IPOP restarts (popsize 2 stops soon on the suite's Ackley).
func TestConformanceManyTrials(t *testing.T) {
	searchtest.Run(t, searchtest.Config{Algorithm: "cmaes", Options: "popsize: 2, sigma0: 0.5", Trials: 150, Slots: 3, Spaces: searchtest.Spaces()[:3]})
}

// TestConformanceTPEIndependent: TPE draws the categorical and
// conditional parameters (the spaces that have some).
func TestConformanceTPEIndependent(t *testing.T) {
	searchtest.Run(t, searchtest.Config{Algorithm: "cmaes", Options: "independent_sampler: tpe, popsize: 4, restart: none", Learns: true, Spaces: searchtest.Spaces()[3:]})
}

func TestSamplerConformance(t *testing.T) {
	with, _ := numeric()
	searchtest.RunSampler(t, searchtest.Config{Algorithm: "cmaes", Learns: true, Spaces: with},
		func(s *search.Space, set search.Settings) (search.Sampler, error) {
			o, err := cmaes.OptionsFrom(s, set)
			if err != nil {
				return nil, err
			}
			return cmaes.New(o)
		})
}
