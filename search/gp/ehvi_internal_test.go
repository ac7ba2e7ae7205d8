package gp

import (
	"math"
	"math/rand/v2"
	"testing"

	"automl/search/pareto"
)

// sphereFront is n points of the unit sphere's positive octant shifted
// into [0, 1]³ (mutually non-dominated), and the reference point 1.1.
func sphereFront(n int, rng *rand.Rand) ([][]float64, []float64) {
	var front [][]float64
	for len(front) < n {
		p := []float64{math.Abs(rng.NormFloat64()), math.Abs(rng.NormFloat64()), math.Abs(rng.NormFloat64())}
		norm := math.Sqrt(p[0]*p[0] + p[1]*p[1] + p[2]*p[2])
		for i := range p {
			p[i] /= norm
		}
		front = append(front, p)
	}
	return front, []float64{1.1, 1.1, 1.1}
}

// hvi is the exact hypervolume improvement of y over front.
func hvi(t *testing.T, front [][]float64, y, ref []float64) float64 {
	t.Helper()
	base, err := pareto.Hypervolume(front, ref)
	if err != nil {
		t.Fatal(err)
	}
	with, err := pareto.Hypervolume(append(append([][]float64(nil), front...), y), ref)
	if err != nil {
		t.Fatal(err)
	}
	return with - base
}

// TestEHVIIsTheExpectedImprovement: with a vanishing standard deviation
// EHVI is the exact hypervolume improvement of the mean (inside the
// front, behind it, beyond the reference point), and with a wide one it
// agrees with a Monte Carlo average of exact improvements.
func TestEHVIIsTheExpectedImprovement(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	front, ref := sphereFront(12, rng)
	a := newMoAcq(nil, front, ref)
	if a == nil {
		t.Fatal("no cells for 12 points")
	}
	tiny := []float64{1e-9, 1e-9, 1e-9}
	for _, mu := range [][]float64{{0.2, 0.3, 0.4}, {0.9, 0.9, 0.9}, {0.5, 0.5, 0.5}, {0, 0, 1.05}, {1.2, 0, 0}, {-0.5, -0.5, -0.5}} {
		got, want := a.ehvi(mu, tiny, nil), hvi(t, front, mu, ref)
		if math.Abs(got-want) > 1e-6 {
			t.Errorf("EHVI at %v with sd 1e-9: %v, want the improvement %v", mu, got, want)
		}
	}
	mu, sd := []float64{0.6, 0.5, 0.7}, []float64{0.3, 0.2, 0.4}
	const n = 40000
	sum, sum2 := 0.0, 0.0
	for i := 0; i < n; i++ {
		y := make([]float64, 3)
		for j := range y {
			y[j] = mu[j] + sd[j]*rng.NormFloat64()
		}
		v := hvi(t, front, y, ref)
		sum, sum2 = sum+v, sum2+v*v
	}
	mean := sum / n
	se := math.Sqrt((sum2/n - mean*mean) / n)
	if got := a.ehvi(mu, sd, nil); math.Abs(got-mean) > 4*se {
		t.Errorf("EHVI %v, Monte Carlo %v ± %v", got, mean, se)
	}
}

// TestEHVIGradientMatchesFiniteDifferences: ehvi's derivatives in each
// mean and standard deviation.
func TestEHVIGradientMatchesFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	front, ref := sphereFront(8, rng)
	a := newMoAcq(nil, front, ref)
	mu, sd := []float64{0.6, 0.4, 0.7}, []float64{0.2, 0.3, 0.25}
	g := make([]float64, 6)
	a.ehvi(mu, sd, g)
	const h = 1e-6
	for i := 0; i < 3; i++ {
		for k, v := range [][]float64{mu, sd} {
			old := v[i]
			v[i] = old + h
			up := a.ehvi(mu, sd, nil)
			v[i] = old - h
			down := a.ehvi(mu, sd, nil)
			v[i] = old
			fd := (up - down) / (2 * h)
			if an := g[2*i+k]; math.Abs(an-fd) > 1e-6*math.Max(1, math.Abs(fd)) {
				t.Errorf("objective %d, %s: analytic %v, finite differences %v", i, []string{"mean", "sd"}[k], an, fd)
			}
		}
	}
}

// TestTooManyCellsFallsBack: a front whose grid exceeds maxCells gets no
// EHVI state (the sampler then scalarises).
func TestTooManyCellsFallsBack(t *testing.T) {
	front, ref := sphereFront(300, rand.New(rand.NewPCG(7, 8)))
	if a := newMoAcq(nil, front, ref); a != nil {
		t.Fatalf("%d cells accepted, more than %d", len(a.top), maxCells)
	}
}
