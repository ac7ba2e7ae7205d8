package cmaes

import "math"

// eigenSym returns the eigenvalues and eigenvectors of the symmetric n×n
// matrix a (row-major; a is left untouched): a = B diag(w) Bᵀ, column j of
// B (b[i*n+j]) the j-th eigenvector. Cyclic Jacobi rotations: O(n³) per
// sweep, a handful of sweeps; CMA-ES decomposes once per generation, and
// its matrices are small (one row per numeric parameter).
func eigenSym(a []float64, n int) (w, b []float64) {
	m := append([]float64(nil), a...)
	b = make([]float64, n*n)
	for i := range n {
		b[i*n+i] = 1
	}
	for sweep := 0; sweep < 100; sweep++ {
		off, diag := 0.0, 0.0
		for i := range n {
			diag += m[i*n+i] * m[i*n+i]
			for j := i + 1; j < n; j++ {
				off += m[i*n+j] * m[i*n+j]
			}
		}
		if off <= 1e-30*diag || off == 0 {
			break
		}
		for p := 0; p < n; p++ {
			for q := p + 1; q < n; q++ {
				apq := m[p*n+q]
				if apq == 0 {
					continue
				}
				theta := (m[q*n+q] - m[p*n+p]) / (2 * apq)
				t := 1 / (math.Abs(theta) + math.Sqrt(theta*theta+1))
				if theta < 0 {
					t = -t
				}
				c := 1 / math.Sqrt(t*t+1)
				s := t * c
				for k := range n { // columns p and q
					akp, akq := m[k*n+p], m[k*n+q]
					m[k*n+p] = c*akp - s*akq
					m[k*n+q] = s*akp + c*akq
				}
				for k := range n { // rows p and q
					apk, aqk := m[p*n+k], m[q*n+k]
					m[p*n+k] = c*apk - s*aqk
					m[q*n+k] = s*apk + c*aqk
				}
				for k := range n {
					bkp, bkq := b[k*n+p], b[k*n+q]
					b[k*n+p] = c*bkp - s*bkq
					b[k*n+q] = s*bkp + c*bkq
				}
			}
		}
	}
	w = make([]float64, n)
	for i := range n {
		w[i] = m[i*n+i]
	}
	return w, b
}

// normCDF is Φ, the standard normal distribution function.
func normCDF(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

// normPPF is Φ⁻¹ for p in (0, 1).
func normPPF(p float64) float64 { return math.Sqrt2 * math.Erfinv(2*p-1) }
