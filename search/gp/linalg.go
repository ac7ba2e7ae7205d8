package gp

import (
	"errors"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/lapack64"
)

// errNotPD: the covariance stayed numerically singular after every jitter.
var errNotPD = errors.New("gp: covariance matrix not positive definite, even with jitter")

// jitters are added to the diagonal, relative to the signal variance, when
// a plain Cholesky fails (duplicated points, tiny noise).
var jitters = []float64{0, 1e-8, 1e-6, 1e-4, 1e-2}

// cholesky factors the symmetric n×n matrix a (row-major, stride, lower
// triangle read) in place into its lower Cholesky factor, retrying with
// growing jitter; it returns the jitter used. a is left with the factor.
func cholesky(a []float64, n, stride int, scale float64) (float64, error) {
	if n == 0 {
		return 0, nil
	}
	backup := make([]float64, n*stride)
	copy(backup, a[:n*stride])
	for _, j := range jitters {
		copy(a[:n*stride], backup)
		for i := 0; i < n; i++ {
			a[i*stride+i] += j * scale
		}
		sym := blas64.Symmetric{Uplo: blas.Lower, N: n, Stride: stride, Data: a}
		if _, ok := lapack64.Potrf(sym); ok {
			return j * scale, nil
		}
	}
	return 0, errNotPD
}

func lower(a []float64, n, stride int) blas64.Triangular {
	return blas64.Triangular{Uplo: blas.Lower, Diag: blas.NonUnit, N: n, Stride: stride, Data: a}
}

// solveL solves L x = b in place.
func solveL(l []float64, n, stride int, b []float64) {
	blas64.Trsv(blas.NoTrans, lower(l, n, stride), blas64.Vector{N: n, Inc: 1, Data: b})
}

// solveLT solves Lᵀ x = b in place.
func solveLT(l []float64, n, stride int, b []float64) {
	blas64.Trsv(blas.Trans, lower(l, n, stride), blas64.Vector{N: n, Inc: 1, Data: b})
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func logDiagSum(l []float64, n, stride int) float64 {
	s := 0.0
	for i := 0; i < n; i++ {
		s += math.Log(l[i*stride+i])
	}
	return s
}
