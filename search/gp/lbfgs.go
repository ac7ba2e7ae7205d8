package gp

import "math"

// minimize is a compact L-BFGS (memory m) with a backtracking Armijo line
// search, enough for the smooth, low-dimensional hyperparameter posterior.
// (gonum/optimize would pull golang.org/x/tools into the module through
// stat/distmv.) fg returns f(x) and writes ∇f(x) into g. It stops after
// maxIter iterations, when the gradient's largest entry is below gtol, or
// when an iteration improves f by less than ftol (relative).
func minimize(fg func(x, g []float64) float64, x0 []float64, maxIter int, gtol, ftol float64) ([]float64, float64) {
	const m = 8
	n := len(x0)
	x := append([]float64(nil), x0...)
	g := make([]float64, n)
	f := fg(x, g)
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return x, f
	}
	var ss, ys [][]float64
	var rho []float64
	d := make([]float64, n)
	xn := make([]float64, n)
	gn := make([]float64, n)
	alpha := make([]float64, m)
	for it := 0; it < maxIter; it++ {
		if normInf(g) < gtol {
			break
		}
		// Two-loop recursion: d = -H g.
		copy(d, g)
		for i := len(ss) - 1; i >= 0; i-- {
			alpha[i] = rho[i] * dot(ss[i], d)
			axpy(-alpha[i], ys[i], d)
		}
		if k := len(ss); k > 0 {
			scale(dot(ss[k-1], ys[k-1])/dot(ys[k-1], ys[k-1]), d)
		} else {
			scale(1/math.Max(1, normInf(g)), d) // first step: at most 1 in any coordinate
		}
		for i := range ss {
			b := rho[i] * dot(ys[i], d)
			axpy(alpha[i]-b, ss[i], d)
		}
		scale(-1, d)
		slope := dot(g, d)
		if slope >= 0 { // not a descent direction: restart from steepest descent
			ss, ys, rho = ss[:0], ys[:0], rho[:0]
			for i := range d {
				d[i] = -g[i] / math.Max(1, normInf(g))
			}
			slope = dot(g, d)
		}
		step, fn := 1.0, math.Inf(1)
		for ls := 0; ls < 30; ls++ {
			for i := range x {
				xn[i] = x[i] + step*d[i]
			}
			fn = fg(xn, gn)
			if fn <= f+1e-4*step*slope && !math.IsNaN(fn) {
				break
			}
			step *= 0.5
		}
		if !(fn <= f+1e-4*step*slope) {
			break // no progress along d
		}
		s := make([]float64, n)
		y := make([]float64, n)
		for i := range x {
			s[i] = xn[i] - x[i]
			y[i] = gn[i] - g[i]
		}
		if sy := dot(s, y); sy > 1e-12 {
			if len(ss) == m {
				ss, ys, rho = ss[1:], ys[1:], rho[1:]
			}
			ss, ys, rho = append(ss, s), append(ys, y), append(rho, 1/sy)
		}
		improved := f - fn
		copy(x, xn)
		copy(g, gn)
		f = fn
		if improved < ftol*math.Max(1, math.Abs(f)) {
			break
		}
	}
	return x, f
}

func normInf(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = math.Max(m, math.Abs(x))
	}
	return m
}

func axpy(a float64, x, y []float64) {
	for i := range x {
		y[i] += a * x[i]
	}
}

func scale(a float64, x []float64) {
	for i := range x {
		x[i] *= a
	}
}
