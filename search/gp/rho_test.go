package gp

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The correlation of imported results with the study's function is
// fitted: results of the same function fit one near 1, results of the
// function turned upside down one near 0, and the study's own results then
// decide the posterior mean where they are.
func TestImportedCorrelationIsFitted(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	f := func(x []float64) float64 { return math.Sin(5*x[0]) + math.Cos(4*x[1]) }
	const nImp, nOwn = 30, 15
	x := make([][]float64, nImp+nOwn)
	imp := make([]bool, len(x))
	for i := range x {
		x[i] = []float64{rng.Float64(), rng.Float64()}
		imp[i] = i < nImp
	}
	for _, tc := range []struct {
		name       string
		sign       float64
		minR, maxR float64
	}{{"the same function", 1, 0.9, 1}, {"the function upside down", -1, 0, 0.3}} {
		y := make([]float64, len(x))
		for i := range x {
			y[i] = f(x[i])
			if imp[i] {
				y[i] *= tc.sign
			}
		}
		y = standardize(y)
		fd := newFitData(contLayout(2), x, y)
		fd.setImported(imp)
		h, _, _ := fitHyper(fd, 200)
		if h.rho < tc.minR || h.rho > tc.maxR {
			t.Errorf("%s: fitted correlation %.3f, want in [%g, %g]", tc.name, h.rho, tc.minR, tc.maxR)
		}
		post, err := newPosteriorImported(newKernel(contLayout(2), h), x, y, imp, 0)
		if err != nil {
			t.Fatal(err)
		}
		mu, _ := post.predict(x[nImp:])
		for i, m := range mu {
			if d := math.Abs(m - y[nImp+i]); d > 0.05 {
				t.Errorf("%s: at the study's own result %d the mean is %.3f, the result %.3f", tc.name, i, m, y[nImp+i])
			}
		}
	}
}
