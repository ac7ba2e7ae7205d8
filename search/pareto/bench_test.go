package pareto

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// frontPoints draws n points on the positive part of the unit sphere in
// k objectives: no point dominates another, the hardest case for the
// hypervolume (every point on the staircase).
func frontPoints(rng *rand.Rand, n, k int) [][]float64 {
	pts := make([][]float64, n)
	for i := range pts {
		p := make([]float64, k)
		norm := 0.0
		for m := range p {
			p[m] = math.Abs(rng.NormFloat64())
			norm += p[m] * p[m]
		}
		for m := range p {
			p[m] /= math.Sqrt(norm)
		}
		pts[i] = p
	}
	return pts
}

func BenchmarkNonDominatedSort(b *testing.B) {
	rng := rand.New(rand.NewPCG(19, 7))
	for _, tc := range []struct {
		name string
		pts  [][]float64
	}{
		{"n=1000/k=2/random", randomPoints(rng, 1000, 2, 0)},
		{"n=1000/k=2/front", frontPoints(rng, 1000, 2)},
		{"n=1000/k=3/random", randomPoints(rng, 1000, 3, 0)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Ranks(tc.pts, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchmarkVolume runs f on n points of k objectives for each n, against
// (1.1, ..., 1.1): a front on the unit sphere and uniform points in the
// unit cube.
func benchmarkVolume(b *testing.B, k int, f func([][]float64, []float64) error, sizes ...int) {
	rng := rand.New(rand.NewPCG(19, uint64(k)))
	ref := make([]float64, k)
	for m := range ref {
		ref[m] = 1.1
	}
	for _, n := range sizes {
		for _, set := range []struct {
			name string
			pts  [][]float64
		}{
			{"front", frontPoints(rng, n, k)},
			{"random", randomPoints(rng, n, k, 0)},
		} {
			b.Run(fmt.Sprintf("n=%d/%s", n, set.name), func(b *testing.B) {
				for b.Loop() {
					if err := f(set.pts, ref); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func hypervolume(pts [][]float64, ref []float64) error {
	_, err := Hypervolume(pts, ref)
	return err
}

func contributions(pts [][]float64, ref []float64) error {
	_, err := Contributions(pts, ref)
	return err
}

func BenchmarkHypervolume2D(b *testing.B)   { benchmarkVolume(b, 2, hypervolume, 1000) }
func BenchmarkHypervolume3D(b *testing.B)   { benchmarkVolume(b, 3, hypervolume, 1000) }
func BenchmarkContributions2D(b *testing.B) { benchmarkVolume(b, 2, contributions, 1000) }
func BenchmarkContributions3D(b *testing.B) { benchmarkVolume(b, 3, contributions, 25, 1000) }
func BenchmarkHypervolume4D(b *testing.B)   { benchmarkVolume(b, 4, hypervolume, 100) }
