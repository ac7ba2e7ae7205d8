package telemetry

import (
	"testing"
	"time"
)

// What the metrics cost the work they measure: a study's progress (after
// every scheduler step) and a slot's run (twice per trial).
func BenchmarkStudyProgress(b *testing.B) {
	m := New()
	counts := map[string]int{"pending": 3, "running": 4, "completed": 100}
	for i := 0; b.Loop(); i++ {
		counts["completed"] = i
		m.Study("bench", counts, 0.5, true)
	}
}

func BenchmarkSlotRun(b *testing.B) {
	m := New()
	m.SlotsChanged("box", "0", 1)
	for b.Loop() {
		m.SlotBusy("box", "0")
		m.SlotFree("box", "0", "done", "", time.Millisecond)
	}
}
