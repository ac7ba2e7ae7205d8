package tpe

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestImportedWeight: an imported result's kernel weighs h/(h + n) of one
// of the study's own after n own finished trials (pending ones do not
// count), and exactly 1 when nothing is imported.
func TestImportedWeight(t *testing.T) {
	mk := func(imported, own, pending int) ([]trialRow, int) {
		var rs []trialRow
		for range imported {
			rs = append(rs, trialRow{x: []float64{0.5}, imp: true})
		}
		for range own {
			rs = append(rs, trialRow{x: []float64{0.5}})
		}
		for range pending {
			rs = append(rs, trialRow{x: []float64{0.5}, pending: true})
		}
		return rs, imported + own
	}
	for _, c := range []struct {
		imported, own, pending int
		want                   float64
	}{
		{0, 0, 0, 1},
		{0, 30, 2, 1},
		{50, 0, 0, 1},
		{50, 0, 3, 1},
		{50, importHalfLife, 1, 0.5},
		{10, 3 * importHalfLife, 0, 0.25},
	} {
		rs, finished := mk(c.imported, c.own, c.pending)
		if got := importedWeight(rs, finished); math.Abs(got-c.want) > 1e-15 {
			t.Errorf("%d imported, %d own finished, %d pending: weight %v, want %v", c.imported, c.own, c.pending, got, c.want)
		}
	}
}

// TestScaledKernels: newParzenScaled multiplies each observation's kernel
// weight before normalising (the prior's weight stays the prior's), and
// with no scale it is newParzen to the bit.
func TestScaledKernels(t *testing.T) {
	o := DefaultOptions()
	d := &dim{kind: continuous}
	obs := [][]float64{{0.2}, {0.4}, {0.9}}
	plain := newParzen([]*dim{d}, obs, &o, nil)
	same := newParzenScaled([]*dim{d}, obs, &o, nil, nil)
	for i := range plain.w {
		if plain.w[i] != same.w[i] {
			t.Fatalf("no scale: weight %d is %v, newParzen's %v", i, same.w[i], plain.w[i])
		}
	}
	scaled := newParzenScaled([]*dim{d}, obs, &o, nil, []float64{0.5, 1, 0.5})
	// raw weights 0.5, 1, 0.5 and the prior's 1: sum 3.
	want := []float64{0.5 / 3, 1.0 / 3, 0.5 / 3, 1.0 / 3}
	for i, w := range want {
		if math.Abs(scaled.w[i]-w) > 1e-15 {
			t.Errorf("weight %d: %v, want %v (all: %v)", i, scaled.w[i], w, scaled.w)
		}
	}
	// A down-weighted kernel draws fewer candidates: near the one at 0.9
	// (where the flat prior kernel draws some too), at weight 0.01, under
	// two thirds as many draws as at weight 1.
	near := func(scale []float64) int {
		pe := newParzenScaled([]*dim{d}, obs, &o, nil, scale)
		n := 0
		for _, c := range pe.sample(rand.New(rand.NewPCG(1, 2)), 4000) {
			if math.Abs(c[0]-0.9) < 0.05 {
				n++
			}
		}
		return n
	}
	if full, low := near(nil), near([]float64{1, 1, 0.01}); full < 100 || 3*low > 2*full {
		t.Errorf("draws within 0.05 of 0.9: %d with its kernel at weight 1, %d at weight 0.01; want at least 100, and under two thirds as many", full, low)
	}
}
