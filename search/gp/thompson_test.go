package gp

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestDrawHasThePosteriorsMoments: many joint draws at a few points have
// the exact posterior's mean and covariance (each draw is pathwise, from
// random Fourier features; averaged over them the moments are exact), with
// a pending point fantasised and with imported observations (whose prior
// adds a discrepancy, and with a correlation below 1 an independent
// function's share). The covariance includes two close points, so the
// draw is joint, not independent per point.
func TestDrawHasThePosteriorsMoments(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, tc := range []struct {
		name string
		imp  []bool
		rho  float64
	}{
		{"plain", nil, 0},
		{"imported", []bool{true, true, true, true, false, false, false, false, true, false, false, true}, 0},
		{"imported, correlation 0.6", []bool{true, true, true, true, false, false, false, false, true, false, false, true}, 0.6},
	} {
		x, y := randomData(rng, 12, 2)
		k := newKernel(contLayout(2), hyper{ls: []float64{0.3, 0.5}, s2: 1.3, noise: 1e-3, s2b: 0.4, rho: tc.rho})
		post, err := newPosteriorImported(k, x, y, tc.imp, 1)
		if err != nil {
			t.Fatal(err)
		}
		post.addFantasy([]float64{0.8, 0.8})
		probe := [][]float64{{0.1, 0.9}, {0.12, 0.9}, {0.5, 0.5}, {0.8, 0.8}, {0.95, 0.05}}
		mu, _ := post.predict(probe)
		cov := exactCov(post, probe)
		const n = 3000
		m := len(probe)
		sum := make([]float64, m)
		sq := make([]float64, m*m)
		for range n {
			f := post.draw(probe, rng)
			for a := range f {
				sum[a] += f[a]
				for b := range f {
					sq[a*m+b] += (f[a] - mu[a]) * (f[b] - mu[b])
				}
			}
		}
		for a := range probe {
			sd := math.Sqrt(cov[a*m+a])
			if got := sum[a] / n; math.Abs(got-mu[a]) > 5*sd/math.Sqrt(n)+1e-6 {
				t.Errorf("%s: at %v: mean of the draws %.4f, posterior mean %.4f (sd %.4f)", tc.name, probe[a], got, mu[a], sd)
			}
			for b := range probe {
				// The sample covariance's sd is about sd_a sd_b √(2/n).
				tol := 5*math.Sqrt(cov[a*m+a]*cov[b*m+b])*math.Sqrt(2.0/n) + 1e-4
				if got := sq[a*m+b] / n; math.Abs(got-cov[a*m+b]) > tol {
					t.Errorf("%s: covariance of the draws at %v and %v: %.4f, posterior's %.4f (tolerance %.4f)", tc.name, probe[a], probe[b], got, cov[a*m+b], tol)
				}
			}
		}
		if cov[3*m+3] > 4e-3 {
			t.Errorf("%s: variance at the fantasised point %v, want ~0", tc.name, cov[3*m+3])
		}
		if corr := cov[1] / math.Sqrt(cov[0]*cov[m+1]); corr < 0.9 {
			t.Errorf("%s: posterior correlation of two close points %.3f, want > 0.9 (the test's premise)", tc.name, corr)
		}
	}
}

// exactCov is the posterior covariance of the latent function at xs:
// k(a, b) - k(a, X) (K + σ²I)⁻¹ k(X, b), by the posterior's factor.
func exactCov(p *posterior, xs [][]float64) []float64 {
	m := len(xs)
	v := make([][]float64, m)
	for a, x := range xs {
		v[a] = make([]float64, p.n)
		p.kvec(x, v[a])
		solveL(p.l, p.n, p.stride, v[a])
	}
	cov := make([]float64, m*m)
	for a := range xs {
		for b := range xs {
			cov[a*m+b] = p.k.eval(xs[a], xs[b]) - dot(v[a], v[b])
		}
	}
	return cov
}

// TestBatchOption: `batch` takes thompson or believer, anything else is an
// error naming the choices, and the default is thompson.
func TestBatchOption(t *testing.T) {
	if got := (Options{}).withDefaults(2, 10).Batch; got != "thompson" {
		t.Errorf("default batch %q, want thompson", got)
	}
	for _, b := range []string{"thompson", "believer"} {
		if err := (Options{Batch: b}).Check(); err != nil {
			t.Errorf("batch %q: %v", b, err)
		}
	}
	if err := (Options{Batch: "liar"}).Check(); err == nil {
		t.Error("batch liar accepted")
	}
}

// TestCosine: the draws' cosine agrees with math.Cos to 1e-9 over small,
// large and negative angles, gives NaN for NaN and ±Inf, and stays bounded
// for angles past its range.
func TestCosine(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	worst, at := 0.0, 0.0
	for i := 0; i < 200000; i++ {
		a := (rng.Float64()*2 - 1) * math.Pow(10, float64(i%4))
		if d := math.Abs(cosine(a) - math.Cos(a)); d > worst {
			worst, at = d, a
		}
	}
	for _, a := range []float64{0, math.Pi / 2, math.Pi, -math.Pi, 2 * math.Pi, 1e3 + 0.5} {
		if d := math.Abs(cosine(a) - math.Cos(a)); d > worst {
			worst, at = d, a
		}
	}
	if worst > 1e-9 {
		t.Errorf("cosine(%v) off math.Cos by %.3g, want under 1e-9", at, worst)
	}
	for _, a := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if c := cosine(a); !math.IsNaN(c) {
			t.Errorf("cosine(%v) = %v, want NaN", a, c)
		}
	}
	for _, a := range []float64{1e16, -3e17, 1e300} { // the reduction is lost; the value stays bounded
		if c := cosine(a); !(math.Abs(c) <= 1.01) {
			t.Errorf("cosine(%v) = %v, want within [-1.01, 1.01]", a, c)
		}
	}
}
