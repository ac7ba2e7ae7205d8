package gp

import "math"

// The Matérn-5/2 kernel with one length scale per parameter:
//
//	k(x, y) = s² (1 + √5 r + 5r²/3) exp(-√5 r),  r² = Σ_f (x_f - y_f)² / ℓ²_{p(f)}
//
// where p(f) is the parameter of feature f.

const sqrt5 = 2.23606797749979

// hyper are the kernel's hyperparameters in natural units.
type hyper struct {
	ls    []float64 // length scale per parameter
	s2    float64   // signal variance
	noise float64   // noise variance (of the transformed, standardised loss)
	s2b   float64   // variance of imported results' discrepancy (0: none imported)
	rho   float64   // correlation of imported results with the study's function (0: none imported)
}

// kernel is a hyper bound to a layout: per-feature inverse squared length
// scales, ready for evaluation.
type kernel struct {
	w     []float64 // 1/ℓ² per feature
	s2    float64
	noise float64
	s2b   float64
	rho   float64
}

func newKernel(lay *layout, h hyper) *kernel {
	k := &kernel{w: make([]float64, lay.nf), s2: h.s2, noise: h.noise, s2b: h.s2b, rho: h.rho}
	for i, g := range lay.params {
		inv := 1 / (h.ls[i] * h.ls[i])
		for f := g.off; f < g.off+g.width; f++ {
			k.w[f] = inv
		}
	}
	return k
}

func (k *kernel) r2(a, b []float64) float64 {
	s := 0.0
	for f, w := range k.w {
		d := a[f] - b[f]
		s += w * d * d
	}
	return s
}

// m52 is the kernel's correlation at squared scaled distance r2.
func m52(r2 float64) float64 {
	r := math.Sqrt(r2)
	return (1 + sqrt5*r + 5.0/3*r2) * math.Exp(-sqrt5*r)
}

// m52d is -d m52 / d(r²) = (5/6)(1 + √5 r) exp(-√5 r), finite at r = 0.
func m52d(r2 float64) float64 {
	r := math.Sqrt(r2)
	return 5.0 / 6 * (1 + sqrt5*r) * math.Exp(-sqrt5*r)
}

func (k *kernel) eval(a, b []float64) float64 { return k.s2 * m52(k.r2(a, b)) }
