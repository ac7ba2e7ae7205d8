package gp

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestPosteriorInterpolatesAndFantasiesOnlyShrinkVariance(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	x, y := randomData(rng, 25, 2)
	k := newKernel(contLayout(2), hyper{ls: []float64{0.4, 0.4}, s2: 1, noise: 1e-6})
	post, err := newPosterior(k, x, y, 1)
	if err != nil {
		t.Fatal(err)
	}
	mu, sd := post.predict(x)
	for i := range x {
		if math.Abs(mu[i]-y[i]) > 1e-3 || sd[i] > 1e-2 {
			t.Errorf("at data point %d: mean %.5f (y %.5f), sd %.4g", i, mu[i], y[i], sd[i])
		}
	}
	probe := [][]float64{{0.1, 0.9}, {0.5, 0.5}, {0.33, 0.12}}
	mu0, sd0 := post.predict(probe)
	post.addFantasy(probe[1])
	mu1, sd1 := post.predict(probe)
	for i := range probe {
		if math.Abs(mu1[i]-mu0[i]) > 1e-12 {
			t.Errorf("fantasy moved the mean at %v: %v -> %v", probe[i], mu0[i], mu1[i])
		}
		if sd1[i] > sd0[i]+1e-12 {
			t.Errorf("fantasy raised the sd at %v: %v -> %v", probe[i], sd0[i], sd1[i])
		}
	}
	if sd1[1] > 1e-2 {
		t.Errorf("sd at the fantasised point %v, want ~0", sd1[1])
	}
}

func TestCholeskyJitterRescuesDuplicates(t *testing.T) {
	x := [][]float64{{0.5}, {0.5}, {0.5}, {0.2}}
	k := newKernel(contLayout(1), hyper{ls: []float64{0.3}, s2: 1, noise: 0})
	post, err := newPosterior(k, x, []float64{1, 1.1, 0.9, -1}, 0)
	if err != nil {
		t.Fatalf("duplicates without noise: %v", err)
	}
	if post.jitter <= 0 {
		t.Errorf("no jitter used for a singular matrix")
	}
	mu, _ := post.predict([][]float64{{0.5}})
	if math.Abs(mu[0]-1) > 0.05 {
		t.Errorf("mean at the duplicated point %v, want about their mean 1", mu[0])
	}
}

func TestWarpsAreMonotoneStandardisedWithTheirJacobian(t *testing.T) {
	y := []float64{3, 1, 10, 250, 0.5, 7}
	for _, kind := range autoKinds {
		w, logJac := warp(kind, y)
		for i := range y {
			for j := range y {
				if y[i] < y[j] && !(w[i] < w[j]) {
					t.Fatalf("%v: not increasing: w(%v)=%v, w(%v)=%v", kind, y[i], w[i], y[j], w[j])
				}
			}
		}
		mean, ss := 0.0, 0.0
		for _, v := range w {
			mean += v
		}
		mean /= float64(len(w))
		for _, v := range w {
			ss += (v - mean) * (v - mean)
		}
		if math.Abs(mean) > 1e-9 || math.Abs(ss/float64(len(w))-1) > 1e-9 {
			t.Errorf("%v: not standardised: mean %v var %v", kind, mean, ss/float64(len(w)))
		}
		// The Jacobian, with the transform's constants (min, shift, scale)
		// held fixed: Σ log w'(y_i) by central differences on each point.
		lambda := lambdas[kind]
		d := 1e-3 * (250 - 0.5)
		bc := func(v float64) float64 {
			z := v - 0.5 + d
			switch lambda {
			case 1:
				return v
			case 0:
				return math.Log(z)
			}
			return (math.Pow(z, lambda) - 1) / lambda
		}
		raw := make([]float64, len(y))
		for i, v := range y {
			raw[i] = bc(v)
		}
		sd := standardizeSD(raw)
		want := 0.0
		for _, v := range y {
			const h = 1e-7
			want += math.Log((bc(v+h) - bc(v-h)) / (2 * h) / sd)
		}
		if math.Abs(logJac-want) > 1e-5*math.Max(1, math.Abs(want)) {
			t.Errorf("%v: log Jacobian %.8g, numerical %.8g", kind, logJac, want)
		}
	}
}

func TestSubsetKeepsBestAndSpreads(t *testing.T) {
	loss := make([]float64, 100)
	for i := range loss {
		loss[i] = float64((i * 37) % 100)
	}
	idx := subset(loss, 20)
	if len(idx) != 20 {
		t.Fatalf("%d indices", len(idx))
	}
	best := 0
	for _, i := range idx {
		if loss[i] < 10 {
			best++
		}
		if i < 0 || i >= 100 {
			t.Fatalf("index %d", i)
		}
	}
	if best != 10 {
		t.Errorf("%d of the 10 best kept, want all", best)
	}
	for k := 1; k < len(idx); k++ {
		if idx[k] <= idx[k-1] {
			t.Fatalf("indices not in history order: %v", idx)
		}
	}
}
