package gp

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestFitsAreMadeAhead: with 40 settled observations (of 44) and 7
// pending trials, a suggestion uses the fit of the first 39 and leaves
// the fit of the first 40, which the next settled observation will ask
// for, in the cache, and not that of 41 (not settled).
func TestFitsAreMadeAhead(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	x, y := randomData(rng, 44, 2)
	tr := &training{x: x, loss: y, imp: make([]bool, len(x)), settled: 40}
	for range 7 {
		tr.pending = append(tr.pending, []float64{rng.Float64(), rng.Float64()})
	}
	lay := contLayout(2)
	s, _ := New(Options{Seed: 3})
	o := s.opts.withDefaults(2, len(tr.loss))
	got := s.hyperFor(lay, tr, o)
	if want := s.fitJob(lay, tr, o, 39).fit(); !slices.Equal(got.ls, want.ls) || got.s2 != want.s2 || got.noise != want.noise {
		t.Errorf("fit used %+v, want that of the first 36 observations %+v", got, want)
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
		s.mu.Lock()
		on := s.fitterOn
		s.mu.Unlock()
		if !on {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the fits ahead still running after a minute")
		}
	}
	for n := 40; n <= 40; n++ {
		if _, ok := s.hypers[s.fitJob(lay, tr, o, n).key]; !ok {
			t.Errorf("the fit of the first %d observations was not made ahead", n)
		}
	}
	if _, ok := s.hypers[s.fitJob(lay, tr, o, 41).key]; ok {
		t.Error("the fit of the first 41 observations (not settled) was made")
	}
}
