package auto_test

import (
	"testing"

	"automl/search/searchtest"
)

func TestConformance(t *testing.T) {
	searchtest.Run(t, searchtest.Config{Algorithm: "auto", Learns: true})
}

// TestConformanceSwitch runs the suite across the switch from gp to
// cmaes (on the numeric spaces; the others stay with tpe).
func TestConformanceSwitch(t *testing.T) {
	searchtest.Run(t, searchtest.Config{Algorithm: "auto", Options: "switch_after: 12", Trials: 30, Slots: 3, Spaces: searchtest.Spaces()[:3]})
}

func TestConformanceGoals(t *testing.T) {
	searchtest.RunGoals(t, searchtest.Config{Algorithm: "auto", Learns: true})
}
