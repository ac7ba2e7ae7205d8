package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestVecMatchesGo runs each vector loop through the assembly (when the
// CPU has it) and through pure Go, on lengths with and without a tail.
// Relu, ReluGrad, Add and Adam must agree bit for bit; Dot and Axpy fuse
// multiply-adds in assembly, so they agree to rounding.
func TestVecMatchesGo(t *testing.T) {
	if len(asmKernels()) == 0 {
		t.Log("no assembly kernels on this CPU: checking the Go loops against themselves")
	}
	rng := rand.New(rand.NewPCG(4, 5))
	for _, n := range []int{1, 15, 16, 17, 64, 203} {
		x := randSlice(rng, n)
		y := randSlice(rng, n)
		g := randSlice(rng, n)
		run := func(asm bool) (relu, grad, add, adamW, adamM, adamV []float32, dot float32, axpy []float32) {
			old := useAsmVec
			useAsmVec = asm && len(asmKernels()) > 0
			defer func() { useAsmVec = old }()
			relu = make([]float32, n)
			Relu(x, relu)
			grad = make([]float32, n)
			ReluGrad(relu, g, grad)
			add = append([]float32(nil), x...)
			Add(add, y)
			adamW, adamM, adamV = append([]float32(nil), x...), make([]float32, n), make([]float32, n)
			c := &AdamConst{0.9, 0.1, 0.999, 0.001, 0.01, 31.6, 1e-8}
			for range 3 {
				Adam(adamW, g, adamM, adamV, c)
			}
			dot = Dot(x, y)
			axpy = append([]float32(nil), y...)
			Axpy(0.37, x, axpy)
			return
		}
		r1, g1, a1, w1, m1, v1, d1, x1 := run(true)
		r2, g2, a2, w2, m2, v2, d2, x2 := run(false)
		for name, pair := range map[string][2][]float32{"relu": {r1, r2}, "relu grad": {g1, g2}, "add": {a1, a2}, "adam w": {w1, w2}, "adam m": {m1, m2}, "adam v": {v1, v2}} {
			for i := range pair[0] {
				if math.Float32bits(pair[0][i]) != math.Float32bits(pair[1][i]) {
					t.Fatalf("n=%d %s[%d]: assembly %v, Go %v", n, name, i, pair[0][i], pair[1][i])
				}
			}
		}
		if math.Abs(float64(d1-d2)) > 1e-5*math.Sqrt(float64(n)) {
			t.Errorf("n=%d dot: assembly %v, Go %v", n, d1, d2)
		}
		for i := range x1 {
			if math.Abs(float64(x1[i]-x2[i])) > 1e-6 {
				t.Fatalf("n=%d axpy[%d]: assembly %v, Go %v", n, i, x1[i], x2[i])
			}
		}
		for i, v := range r1 {
			if want := float32(math.Max(float64(x[i]), 0)); v != want {
				t.Fatalf("relu(%v) = %v", x[i], v)
			}
			if (g1[i] != 0) != (v > 0 && g[i] != 0) {
				t.Fatalf("relu grad at y=%v: %v (dy %v)", v, g1[i], g[i])
			}
		}
	}
}

func TestReluKeepsNaN(t *testing.T) {
	x := make([]float32, 32)
	x[3], x[20] = float32(math.NaN()), float32(math.NaN())
	y := make([]float32, 32)
	Relu(x, y)
	if !math.IsNaN(float64(y[3])) || !math.IsNaN(float64(y[20])) {
		t.Errorf("relu hid a NaN: %v %v", y[3], y[20])
	}
}
