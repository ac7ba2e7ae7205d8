package slotload

import (
	"testing"
	"time"
)

// The slots seen busy are the running trials, or the run time of the
// attempts that ended lately over the time they ended in if more; a run
// counts for at most Window, however long it ran.
func TestLoadSeesBusySlots(t *testing.T) {
	t0 := time.Unix(1000, 0)
	var l Load
	l.Roll(t0)
	// Two slots run 10 ms trials back to back for two seconds, none of
	// them seen running (their start comes with their end).
	for ms := 10; ms <= 2000; ms += 10 {
		l.Roll(t0.Add(time.Duration(ms) * time.Millisecond))
		l.Ended(10 * time.Millisecond)
		l.Ended(10 * time.Millisecond)
	}
	if b := l.Busy(0); b < 1.9 || b > 2.1 {
		t.Errorf("two slots of short trials: %.2f busy, want 2", b)
	}
	// Seen running too (a dispatcher that reports starts at once): the
	// same slots, not twice as many.
	if b := l.Busy(2); b < 1.9 || b > 2.1 {
		t.Errorf("two slots of short trials seen running: %.2f busy, want 2", b)
	}
	// A week-long trial that ends weighs one slot at most.
	l = Load{}
	l.Roll(t0)
	l.Roll(t0.Add(1500 * time.Millisecond))
	l.Ended(7 * 24 * time.Hour)
	if b := l.Busy(0); b <= 0 || b > 1 {
		t.Errorf("one long trial ended: %.2f busy, want at most 1", b)
	}
	// Quiet for longer than two windows: only the running trials count.
	l.Roll(t0.Add(5 * time.Second))
	l.Roll(t0.Add(7 * time.Second))
	if b := l.Busy(1); b != 1 {
		t.Errorf("after a quiet spell: %.2f busy, want the 1 running", b)
	}
}

// MedianRun is the median of the last 9 run times: unknown before any
// ended, then following the recent runs, not the first ones.
func TestMedianRunFollowsTheLastRuns(t *testing.T) {
	var l Load
	if _, ok := l.MedianRun(); ok {
		t.Fatal("a median before any run ended")
	}
	l.Ended(3 * time.Second)
	if m, ok := l.MedianRun(); !ok || m != 3*time.Second {
		t.Fatalf("one run of 3s: median %v, %v", m, ok)
	}
	for _, s := range []int{1, 9, 2, 8, 7} {
		l.Ended(time.Duration(s) * time.Second)
	}
	if m, _ := l.MedianRun(); m != 3*time.Second { // 1 2 3 7 8 9
		t.Fatalf("runs 3 1 9 2 8 7: median %v, want 3s (the lower middle of six)", m)
	}
	for range 9 { // the long runs of before no longer count
		l.Ended(time.Minute)
	}
	if m, _ := l.MedianRun(); m != time.Minute {
		t.Fatalf("after 9 runs of a minute: median %v", m)
	}
	for range 5 {
		l.Ended(time.Second)
	}
	if m, _ := l.MedianRun(); m != time.Second {
		t.Fatalf("5 runs of 1s after 9 of a minute: median %v, want 1s", m)
	}
	if !l.RunsUnder(2*time.Second) || l.RunsUnder(time.Second) || !(&Load{}).RunsUnder(time.Nanosecond) {
		t.Fatal("RunsUnder: want under 2s, not under 1s, and unknown runs under anything")
	}
}
