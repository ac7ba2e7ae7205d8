package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestPackedForwardMatchesGemm: on every kernel, Forward through the
// panel layout gives, bit for bit, what y = b; y += x·W (Gemm); Relu or
// act gives row-major, for row counts off the panel width, layers narrower
// than a tile and inputs past Gemm's k block; a NaN input stays NaN
// through the fused ReLU.
func TestPackedForwardMatchesGemm(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	double := func(v []float32) {
		for i := range v {
			v[i] *= 2
		}
	}
	for _, kern := range kernelsToTest() {
		withKernel(t, kern)
		for _, sh := range [][3]int{{1, 11, 256}, {33, 256, 211}, {64, 211, 38}, {7, 300, 9}, {40, 3, 2}} {
			rows, in, out := sh[0], sh[1], sh[2]
			w, b, x := make([]float32, in*out), make([]float32, out), make([]float32, rows*in)
			for _, v := range [][]float32{w, b, x} {
				for i := range v {
					v[i] = float32(rng.NormFloat64())
				}
			}
			x[len(x)/2] = float32(math.NaN())
			l := Pack(in, out, w, b)
			px := PackRows(rows, in, x, nil)
			if back := UnpackRows(rows, in, px, nil); fmt.Sprint(back) != fmt.Sprint(x) {
				t.Fatalf("%s %v: UnpackRows(PackRows(x)) is not x", kern.name, sh)
			}
			for _, mode := range []string{"none", "relu", "act"} {
				want := make([]float32, rows*out)
				for r := 0; r < rows; r++ {
					copy(want[r*out:(r+1)*out], b)
				}
				NewExec(1).Gemm(false, false, rows, out, in, x, in, w, out, want, out, true)
				var act func([]float32)
				switch mode {
				case "relu":
					Relu(want, want)
				case "act":
					double(want)
					act = double
				}
				got := UnpackRows(rows, out, l.Forward(rows, px, nil, mode == "relu", act), nil)
				for i := range want {
					g, wv := got[i], want[i]
					if math.Float32bits(g) != math.Float32bits(wv) && !(g != g && wv != wv) {
						t.Fatalf("%s %v %s: output %d (row %d) = %v, Gemm gives %v", kern.name, sh, mode, i, i/out, g, wv)
					}
				}
			}
		}
	}
}
