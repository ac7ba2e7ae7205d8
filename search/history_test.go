package search

import "testing"

// Proposed counts a study's own trials: imported results take no number,
// also when trials are appended after it counted and when pending points
// are cut back (as SampleN does).
func TestHistoryProposed(t *testing.T) {
	h := &History{}
	if n := h.Proposed(); n != 0 {
		t.Fatalf("empty history: Proposed = %d", n)
	}
	h.Add(Observation{ID: 0, Status: Complete, Imported: true})
	h.Add(Observation{ID: 1, Status: Complete})
	h.Add(Observation{ID: 2, Status: Complete, Imported: true})
	if n := h.Proposed(); n != 1 {
		t.Fatalf("1 own trial, 2 imported: Proposed = %d", n)
	}
	base := len(h.Trials)
	h.Trials = append(h.Trials, Observation{ID: -1, Status: Pending}, Observation{ID: -2, Status: Pending})
	if n := h.Proposed(); n != 3 {
		t.Fatalf("with 2 pending points: Proposed = %d, want 3", n)
	}
	h.Trials = h.Trials[:base-1] // cut back below an imported result
	if n := h.Proposed(); n != 1 {
		t.Fatalf("cut back to 2 trials (1 own): Proposed = %d", n)
	}
	h.Add(Observation{ID: 3, Status: Complete, Imported: true})
	h.Add(Observation{ID: 4, Status: Pending})
	if n := h.Proposed(); n != 2 {
		t.Fatalf("2 own trials, 2 imported: Proposed = %d", n)
	}
	var none *History
	if n := none.Proposed(); n != 0 {
		t.Fatalf("nil history: Proposed = %d", n)
	}
}
