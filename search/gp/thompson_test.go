package gp

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestDrawHasThePosteriorsMoments: many joint draws at a few points have
// the posterior mean, standard deviation and the covariance between two
// close points (the draw is joint, not independent per point).
func TestDrawHasThePosteriorsMoments(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	x, y := randomData(rng, 12, 2)
	k := newKernel(contLayout(2), hyper{ls: []float64{0.3, 0.3}, s2: 1, noise: 1e-4})
	post, err := newPosterior(k, x, y, 1)
	if err != nil {
		t.Fatal(err)
	}
	post.addFantasy([]float64{0.8, 0.8})
	probe := [][]float64{{0.1, 0.9}, {0.12, 0.9}, {0.5, 0.5}, {0.8, 0.8}}
	mu, sd := post.predict(probe)
	const n = 6000
	sum := make([]float64, len(probe))
	sq := make([]float64, len(probe))
	cross := 0.0
	for range n {
		f := post.draw(probe, rng)
		for i, v := range f {
			sum[i] += v
			sq[i] += v * v
		}
		cross += (f[0] - mu[0]) * (f[1] - mu[1])
	}
	for i := range probe {
		m := sum[i] / n
		s := math.Sqrt(sq[i]/n - m*m)
		if math.Abs(m-mu[i]) > 5*sd[i]/math.Sqrt(n)+1e-6 {
			t.Errorf("at %v: mean of the draws %.4f, posterior mean %.4f (sd %.4f)", probe[i], m, mu[i], sd[i])
		}
		if math.Abs(s-sd[i]) > 0.1*sd[i]+1e-3 {
			t.Errorf("at %v: sd of the draws %.4f, posterior sd %.4f", probe[i], s, sd[i])
		}
	}
	if sd[3] > 0.02 {
		t.Errorf("sd at the fantasised point %v, want ~0", sd[3])
	}
	// Two points 0.02 apart with length scale 0.3 are almost perfectly
	// correlated in the posterior: independent draws would give ~0.
	if corr := cross / n / (sd[0] * sd[1]); corr < 0.9 {
		t.Errorf("correlation of the draws at two close points %.3f, want > 0.9", corr)
	}
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
