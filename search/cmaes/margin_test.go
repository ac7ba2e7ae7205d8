package cmaes_test

import (
	"math"
	"testing"

	"automl/search"
)

// TestMarginKeepsIntegerAlive: the continuous part of the loss converges
// fast and takes the step size with it; the integer k (31 values, best at
// 3, the run starts near 15) matters a little. Without margin k's
// coordinate collapses onto one value (the last 200 of 800 trials all
// share it), often before it reaches the optimum; with margin every seed
// still tries other values late, and at least 3 more of 10 seeds end at
// k's optimum (measured: 10 against 5).
func TestMarginKeepsIntegerAlive(t *testing.T) {
	params := "  x0: {type: float, low: -1, high: 1}\n  x1: {type: float, low: -1, high: 1}\n  k: {type: int, low: 0, high: 30}\n"
	f := func(p search.Point) float64 {
		x0, _ := p[0].Float()
		x1, _ := p[1].Float()
		k, _ := p[2].Int()
		return 100*(x0*x0+x1*x1) + 0.0003*math.Abs(float64(k)-3)
	}
	type outcome struct{ collapsed, optimal int }
	runs := func(margin string) outcome {
		var o outcome
		for seed := range uint64(10) {
			space, set := parse(t, "restart: none, with_margin: "+margin, params)
			set.Seed = seed
			h := study(t, newSampler(t, space, set), space, f, 800, 1, seed)
			late := map[int64]bool{}
			for _, tr := range h.Trials[600:] {
				k, _ := tr.Point[2].Int()
				late[k] = true
			}
			if len(late) == 1 {
				o.collapsed++
			}
			bestK, bestL := int64(-1), math.Inf(1)
			for _, tr := range h.Trials {
				if tr.Loss < bestL {
					bestL, bestK = tr.Loss, func() int64 { k, _ := tr.Point[2].Int(); return k }()
				}
			}
			if bestK == 3 {
				o.optimal++
			}
		}
		return o
	}
	with, without := runs("true"), runs("false")
	t.Logf("10 seeds: with margin %d collapsed, %d ended at k = 3; without %d collapsed, %d at k = 3", with.collapsed, with.optimal, without.collapsed, without.optimal)
	if without.collapsed < 8 {
		t.Errorf("without margin only %d of 10 seeds collapsed k: the test no longer shows the problem", without.collapsed)
	}
	if with.collapsed != 0 {
		t.Errorf("with margin %d of 10 seeds collapsed k onto one value", with.collapsed)
	}
	if with.optimal < without.optimal+3 {
		t.Errorf("with margin %d seeds ended at k's optimum, without %d", with.optimal, without.optimal)
	}
}
