package gp

import (
	"math"
	"math/rand/v2"
	"testing"
)

// randomData makes n points in d continuous features with a smooth loss.
func randomData(rng *rand.Rand, n, d int) ([][]float64, []float64) {
	x := make([][]float64, n)
	y := make([]float64, n)
	for i := range x {
		x[i] = make([]float64, d)
		for f := range x[i] {
			x[i][f] = rng.Float64()
		}
		y[i] = math.Sin(3*x[i][0]) + x[i][d-1]*x[i][d-1]
	}
	return x, standardize(y)
}

func contLayout(d int) *layout {
	l := &layout{params: make([]pgroup, d), nf: d}
	for i := range l.params {
		l.params[i] = pgroup{off: i, width: 1}
	}
	return l
}

func TestObjectiveGradientMatchesFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct{ d, imported int }{{1, 0}, {3, 0}, {1, 6}, {3, 9}} {
		d := tc.d
		x, y := randomData(rng, 15, d)
		fd := newFitData(contLayout(d), x, y)
		if tc.imported > 0 { // the first ones imported: θ has the discrepancy's variance
			imp := make([]bool, len(x))
			for i := range tc.imported {
				imp[i] = true
			}
			fd.setImported(imp)
		}
		obj := newObjective(fd)
		theta := make([]float64, fd.nTheta())
		for i := range theta {
			theta[i] = rng.Float64() - 0.5
		}
		theta[d+1] = -4
		g := make([]float64, len(theta))
		obj.fg(theta, g)
		for i := range theta {
			const h = 1e-6
			tp := append([]float64(nil), theta...)
			tm := append([]float64(nil), theta...)
			tp[i] += h
			tm[i] -= h
			num := (obj.fg(tp, make([]float64, len(theta))) - obj.fg(tm, make([]float64, len(theta)))) / (2 * h)
			if math.Abs(num-g[i]) > 1e-4*math.Max(1, math.Abs(num)) {
				t.Errorf("d=%d: dθ[%d]: analytic %.8g, numeric %.8g", d, i, g[i], num)
			}
		}
	}
}

func TestLogEIGradientMatchesFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	d := 3
	x, y := randomData(rng, 20, d)
	lay := contLayout(d)
	// without imported results, and with the first 8 imported (their
	// discrepancy and correlation in the kernel)
	for _, imported := range []int{0, 8} {
		h := hyper{ls: []float64{0.3, 0.5, 0.8}, s2: 1.2, noise: 1e-4}
		imp := make([]bool, len(x))
		if imported > 0 {
			h.s2b, h.rho = 0.3, 0.7
			for i := range imported {
				imp[i] = true
			}
		}
		post, err := newPosteriorImported(newKernel(lay, h), x, y, imp, 2)
		if err != nil {
			t.Fatal(err)
		}
		post.addFantasy([]float64{0.5, 0.5, 0.5})
		checkLogEIGrad(t, rng, post)
	}
}

func checkLogEIGrad(t *testing.T, rng *rand.Rand, post *posterior) {
	t.Helper()
	vars := []int{0, 1, 2}
	for trial := 0; trial < 10; trial++ {
		p := []float64{rng.Float64(), rng.Float64(), rng.Float64()}
		g := make([]float64, 3)
		v := post.logEIGrad(p, vars, g)
		mu, sd := post.predict([][]float64{p})
		if want := logEI(mu[0], sd[0], post.best); math.Abs(want-v) > 1e-8*math.Max(1, math.Abs(v)) {
			t.Errorf("logEIGrad value %v, batch predict gives %v", v, want)
		}
		for i := range p {
			const h = 1e-6
			pp := append([]float64(nil), p...)
			pm := append([]float64(nil), p...)
			pp[i] += h
			pm[i] -= h
			num := (post.logEIGrad(pp, vars, make([]float64, 3)) - post.logEIGrad(pm, vars, make([]float64, 3))) / (2 * h)
			if math.Abs(num-g[i]) > 1e-4*math.Max(1, math.Abs(num)) {
				t.Errorf("d logEI/dx[%d] at %v: analytic %.8g, numeric %.8g", i, p, g[i], num)
			}
		}
	}
}

func TestLogHStableAndContinuous(t *testing.T) {
	// log h must be finite and increasing everywhere, continuous across the
	// branch points, and match the direct formula where that is accurate.
	prev := math.Inf(-1)
	for z := -1e4; z < 10; z += 0.37 {
		v, dv := logH(z)
		if math.IsNaN(v) || math.IsInf(v, 0) || !(dv > 0) {
			t.Fatalf("logH(%v) = %v, %v", z, v, dv)
		}
		if v < prev {
			t.Fatalf("logH not increasing at %v", z)
		}
		prev = v
	}
	for _, z := range []float64{-1, -30} {
		a, da := logH(z + 1e-9)
		b, db := logH(z - 1e-9)
		if math.Abs(a-b) > 1e-6 || math.Abs(da-db) > 1e-4*math.Abs(da) {
			t.Errorf("logH jumps at %v: %v/%v vs %v/%v", z, a, da, b, db)
		}
	}
	for _, z := range []float64{-5, -0.5, 0, 2} {
		direct := math.Log(math.Exp(-z*z/2)/math.Sqrt(2*math.Pi) + z*0.5*math.Erfc(-z/math.Sqrt2))
		if v, _ := logH(z); math.Abs(v-direct) > 1e-9*math.Max(1, math.Abs(direct)) {
			t.Errorf("logH(%v) = %v, direct %v", z, v, direct)
		}
	}
}
