package stall

import (
	"sync/atomic"
	"testing"
	"time"
)

// A watch fires once nothing beat for its period, not while beats come,
// and never after Stop.
func TestWatch(t *testing.T) {
	fired := make(chan time.Time, 2)
	start := time.Now()
	w := Start(50*time.Millisecond, func() { fired <- time.Now() })
	// Beats for 200ms, every 10ms: no fire meanwhile.
	for time.Since(start) < 200*time.Millisecond {
		w.Beat()
		select {
		case <-fired:
			t.Fatalf("fired after %v while beats came every 10ms", time.Since(start))
		case <-time.After(10 * time.Millisecond):
		}
	}
	lastBeat := time.Now()
	w.Beat()
	select {
	case at := <-fired:
		if idle := at.Sub(lastBeat); idle < 50*time.Millisecond {
			t.Errorf("fired %v after the last beat, before the 50ms period", idle)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("never fired after beats stopped")
	}
	w.Stop()
	select {
	case <-fired:
		t.Error("fired twice")
	case <-time.After(100 * time.Millisecond):
	}
}

func TestStopBeforeFire(t *testing.T) {
	var n atomic.Int32
	w := Start(20*time.Millisecond, func() { n.Add(1) })
	w.Stop()
	time.Sleep(60 * time.Millisecond) // longer than the period: nothing may fire
	if n.Load() != 0 {
		t.Error("fired after Stop")
	}
}
