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
