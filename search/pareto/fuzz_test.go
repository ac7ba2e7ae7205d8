package pareto

import (
	"math"
	"slices"
	"testing"
)

// FuzzHypervolume decodes a small problem from the bytes (k from the
// first, then k bytes per point, at most 8 points, then the reference's k
// bytes) with integer losses 0..12, NaN, +Inf and -Inf among them, so
// that every volume is an integer and exact. Nothing may panic; a -Inf
// loss inside the box must be refused; otherwise the hypervolume must
// equal the grid's and inclusion-exclusion's, each contribution the
// leave-one-out difference, and the ranks the O(n³) peel's.
func FuzzHypervolume(f *testing.F) {
	f.Add([]byte{1, 1, 3, 3, 1, 2, 2, 4, 4})
	f.Add([]byte{2, 1, 0, 0, 0, 1, 0, 0, 0, 1, 2, 2, 2})
	f.Add([]byte{3, 0, 0, 0, 5, 13, 2, 2, 3, 3, 3, 3, 14, 7, 7, 7, 7})
	f.Add([]byte{1, 15, 0, 3, 3, 3})
	f.Add([]byte{0, 5, 5, 5, 7})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 {
			return
		}
		k := 1 + int(data[0])%4
		data = data[1:]
		if len(data) < k {
			return // not even a reference point
		}
		n := min((len(data)-k)/k, 8)
		loss := func(b byte) float64 {
			switch c := b % 16; c {
			case 13:
				return math.NaN()
			case 14:
				return math.Inf(1)
			case 15:
				return math.Inf(-1)
			default:
				return float64(c)
			}
		}
		pts := make([][]float64, n)
		for i := range pts {
			pts[i] = make([]float64, k)
			for m := range pts[i] {
				pts[i][m] = loss(data[i*k+m])
			}
		}
		ref := make([]float64, k)
		for m := range ref {
			ref[m] = float64(1 + data[n*k+m]%12)
		}
		unbounded := slices.ContainsFunc(strictlyInside(pts, ref), func(p []float64) bool {
			return slices.Contains(p, math.Inf(-1))
		})

		hv, err := Hypervolume(pts, ref)
		contrib, cerr := Contributions(pts, ref)
		if unbounded {
			if err == nil || cerr == nil {
				t.Fatalf("points %v ref %v: a -Inf loss inside the box, yet errors %v, %v", pts, ref, err, cerr)
			}
		} else {
			if err != nil || cerr != nil {
				t.Fatalf("points %v ref %v: %v, %v", pts, ref, err, cerr)
			}
			if g, ie := gridVolume(pts, ref), inclusionExclusion(pts, ref); hv != g || hv != ie {
				t.Fatalf("points %v ref %v: Hypervolume %v, grid %v, inclusion-exclusion %v", pts, ref, hv, g, ie)
			}
			for i := range pts {
				rest, _ := Hypervolume(slices.Delete(slices.Clone(pts), i, i+1), ref)
				if contrib[i] != hv-rest {
					t.Fatalf("points %v ref %v: point %d contributes %v, leave-one-out %v", pts, ref, i, contrib[i], hv-rest)
				}
			}
		}

		ranks, err := Ranks(pts, nil)
		if err != nil {
			t.Fatal(err)
		}
		if want := bruteRanks(pts, nil); !slices.Equal(ranks, want) {
			t.Fatalf("points %v: ranks %v, peel %v", pts, ranks, want)
		}
		if _, err := Crowding(pts); err != nil {
			t.Fatal(err)
		}
		_, _ = Reference(pts) // may refuse (no finite point), must not panic
	})
}
