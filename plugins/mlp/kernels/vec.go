package kernels

import "math"

// useAsmVec selects the AVX2 vector loops below; it follows the GEMM
// micro-kernel choice (setKernel), so AUTOML_MLP_KERNEL=go runs pure Go.
var useAsmVec = false

// useAsm512 selects the AVX-512 form of a loop where there is one (Tanh),
// with the AVX-512 GEMM micro-kernel.
var useAsm512 = false

// vecBlock is the element count the assembly loops handle per iteration;
// the tail runs in Go.
const vecBlock = 16

// Relu sets y = max(x, 0) (NaN stays NaN).
func Relu(x, y []float32) {
	y = y[:len(x)]
	n := 0
	if useAsmVec && len(x) >= vecBlock {
		n = len(x) &^ (vecBlock - 1)
		reluVec(n, &x[0], &y[0])
	}
	for i := n; i < len(x); i++ {
		v := x[i]
		if !(v >= 0) && v == v { // negative or -0, not NaN
			v = 0
		}
		y[i] = v
	}
}

// ReluGrad sets dx = dy where y > 0, else 0 (y is Relu's output).
func ReluGrad(y, dy, dx []float32) {
	y, dx = y[:len(dy)], dx[:len(dy)]
	n := 0
	if useAsmVec && len(dy) >= vecBlock {
		n = len(dy) &^ (vecBlock - 1)
		reluGradVec(n, &y[0], &dy[0], &dx[0])
	}
	for i := n; i < len(dy); i++ {
		// Branch-free: the sign of y is random, so a branch mispredicts.
		m := math.Float32bits(dy[i]) & -b2u(y[i] > 0)
		dx[i] = math.Float32frombits(m)
	}
}

func b2u(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

// Add sets dst += src.
func Add(dst, src []float32) {
	dst = dst[:len(src)]
	n := 0
	if useAsmVec && len(src) >= vecBlock {
		n = len(src) &^ (vecBlock - 1)
		addVec(n, &dst[0], &src[0])
	}
	for i := n; i < len(src); i++ {
		dst[i] += src[i]
	}
}

// AdamConst are one Adam step's scalars: b1, 1-b1, b2, 1-b2, the step
// lr/(1-b1^t), 1/sqrt(1-b2^t) and eps.
type AdamConst [7]float32

// Adam updates w, m, v from g:
//
//	m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g*g;  w -= step*m / (sqrt(v)*sc2 + eps)
//
// The assembly performs the same float32 operations in the same order, so
// both paths give identical bits.
func Adam(w, g, m, v []float32, c *AdamConst) {
	g, m, v = g[:len(w)], m[:len(w)], v[:len(w)]
	n := 0
	if useAsmVec && len(w) >= vecBlock {
		n = len(w) &^ (vecBlock - 1)
		adamVec(n, &w[0], &g[0], &m[0], &v[0], c)
	}
	b1, omb1, b2, omb2, step, sc2, eps := c[0], c[1], c[2], c[3], c[4], c[5], c[6]
	for j := n; j < len(w); j++ {
		gj := g[j]
		m[j] = b1*m[j] + omb1*gj
		v[j] = b2*v[j] + omb2*gj*gj
		w[j] -= step * m[j] / (float32(math.Sqrt(float64(v[j])))*sc2 + eps)
	}
}

// Dot returns the inner product of a and b (summed in a fixed order).
func Dot(a, b []float32) float32 {
	b = b[:len(a)]
	n := 0
	var s float32
	if useAsmVec && len(a) >= vecBlock {
		n = len(a) &^ (vecBlock - 1)
		s = dotVec(n, &a[0], &b[0])
	}
	for i := n; i < len(a); i++ {
		s += a[i] * b[i]
	}
	return s
}

// Axpy sets y += alpha*x.
func Axpy(alpha float32, x, y []float32) {
	y = y[:len(x)]
	n := 0
	if useAsmVec && len(x) >= vecBlock {
		n = len(x) &^ (vecBlock - 1)
		axpyVec(n, alpha, &x[0], &y[0])
	}
	for i := n; i < len(x); i++ {
		y[i] += alpha * x[i]
	}
}
