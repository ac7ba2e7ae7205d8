package main

import (
	"math"
	"testing"
)

// Two slots, four trials: slot A runs 0-1 then 1.1-2, slot B 0-1.5 then
// 1.6-2.5 (created 0.05 before each start). Branin's minimum is about
// 0.3979: the third trial to end (value 0.4) is the first under 0.01.
func TestWallStats(t *testing.T) {
	s := wallStudy{Func: "branin", Slots: 2, Trials: []wallTrial{
		{Created: 0, Start: 0, End: 1, Value: 5},
		{Created: 0, Start: 0, End: 1.5, Value: 3},
		{Created: 1.05, Start: 1.1, End: 2, Value: 0.4},
		{Created: 1.55, Start: 1.6, End: 2.5, Value: 0.39789},
	}}
	st := statsOf(s, 0.01)
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
	if !near(st.toTarget, 2) || !near(st.wall, 2.5) {
		t.Errorf("to target %v, wall %v; want 2 and 2.5", st.toTarget, st.wall)
	}
	if busy := 1 + 1.5 + 0.9 + 0.9; !near(st.util, busy/(2*2.5)) {
		t.Errorf("utilisation %v, want %v", st.util, busy/5)
	}
	if len(st.idle) != 2 || !near(st.idle[0], 0.1) || !near(st.idle[1], 0.1) || !near(st.suggest[0], 0.05) || !near(st.suggest[1], 0.05) {
		t.Errorf("idle %v, suggest %v; want [0.1 0.1] and [0.05 0.05]", st.idle, st.suggest)
	}
	if st := statsOf(s, 1e-9); !math.IsInf(st.toTarget, 1) {
		t.Errorf("an unreached target: %v, want +Inf", st.toTarget)
	}
}
