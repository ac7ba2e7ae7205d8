package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"automl/internal/cputime"
	"automl/plugins/mlp/kernels"
	"automl/plugins/mlp/nn"
)

// gemmForward is the forward pass as predict ran it before the panel
// layout: y = b, then y += x·W by Exec.Gemm, then the activation.
func gemmForward(layers []Layer, acts []nn.Activation, x []float32, rows int) []float32 {
	e := kernels.NewExec(1)
	in := x
	for li, l := range layers {
		y := make([]float32, rows*l.Out)
		for r := 0; r < rows; r++ {
			copy(y[r*l.Out:(r+1)*l.Out], l.B)
		}
		e.Gemm(false, false, rows, l.Out, l.In, in, l.In, l.W, l.Out, y, l.Out, true)
		if acts[li] != nn.Identity {
			nn.Apply(acts[li], y, y)
		}
		in = y
	}
	return in
}

// TestForwardMatchesGemm checks that the packed forward pass gives the
// GEMM's outputs bit for bit: wide and narrow layers, inputs past the
// GEMM's k block (256), one-unit layers (dot products), row counts off
// the panel width, every activation.
func TestForwardMatchesGemm(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range []struct {
		widths []int
		act    string
	}{
		{[]int{11, 256, 211, 38, 7}, "relu"},
		{[]int{11, 256, 211, 38, 7}, "tanh"},
		{[]int{60, 169, 34, 34, 1}, "tanh"},
		{[]int{300, 40, 1}, "gelu"},
		{[]int{5, 1, 9, 3}, "sigmoid"},
		{[]int{3, 17, 1}, "leaky_relu"},
		{[]int{2, 2}, ""},
	} {
		var layers []Layer
		var acts []nn.Activation
		var packed []*kernels.Packed
		for i := 0; i+1 < len(c.widths); i++ {
			in, out := c.widths[i], c.widths[i+1]
			l := Layer{In: in, Out: out, W: make([]float32, in*out), B: make([]float32, out)}
			for j := range l.W {
				l.W[j] = float32(rng.NormFloat64() / math.Sqrt(float64(in)))
			}
			for j := range l.B {
				l.B[j] = float32(rng.NormFloat64() * 0.1)
			}
			act := nn.Identity
			if i+2 < len(c.widths) && c.act != "" {
				var err error
				if act, err = nn.ParseActivation(c.act); err != nil {
					t.Fatal(err)
				}
			}
			var pk *kernels.Packed
			if out > 1 {
				pk = kernels.Pack(in, out, l.W, l.B)
			}
			layers, acts, packed = append(layers, l), append(acts, act), append(packed, pk)
		}
		f := &compiledFold{acts: acts, packed: packed}
		s := &scratch{}
		for _, rows := range []int{1, 31, 33, 256} {
			x := make([]float32, rows*c.widths[0])
			for j := range x {
				x[j] = float32(rng.NormFloat64() * 2)
			}
			want := gemmForward(layers, acts, x, rows)
			got := forward(s, layers, f, x, rows)
			name := fmt.Sprintf("%v %s rows=%d kernel=%s", c.widths, c.act, rows, kernels.Kernel())
			if len(got) != len(want) {
				t.Fatalf("%s: %d outputs, want %d", name, len(got), len(want))
			}
			for j := range want {
				if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
					t.Fatalf("%s: output %d = %v, the GEMM gives %v", name, j, got[j], want[j])
				}
			}
		}
	}
}

// BenchmarkForward measures the forward pass alone on 256-row chunks of
// the wine architecture (256-211-38 relu, one output):
// go test ./model -run XXX -bench Forward
func BenchmarkForward(b *testing.B) {
	m := mustNew(b, wineSpec("relu"))
	f, layers := &m.folds[0], m.spec().Folds[0].Layers
	const rows = chunkRows
	x := make([]float32, rows*layers[0].In)
	rng := rand.New(rand.NewPCG(5, 5))
	for j := range x {
		x[j] = float32(rng.NormFloat64())
	}
	b.Run("packed", func(b *testing.B) {
		s := &scratch{}
		cpu := cputime.Process()
		for b.Loop() {
			forward(s, layers, f, x, rows)
		}
		b.ReportMetric(float64(cputime.Process()-cpu)/float64(b.N*rows), "cpu-ns/row")
	})
}

// TestChunking: chunks cover the rows in whole panels of at most
// chunkRows rows, as many per goroutine where the rows allow.
func TestChunking(t *testing.T) {
	for _, c := range []struct{ n, threads, size, chunks int }{
		{1, 2, 32, 1}, {1300, 2, 224, 6}, {1300, 1, 224, 6}, {10000, 2, 256, 40}, {257, 2, 160, 2}, {600, 4, 160, 4},
	} {
		size, chunks := chunking(c.n, c.threads)
		if size != c.size || chunks != c.chunks {
			t.Errorf("%d rows on %d goroutines: %d chunks of %d, want %d of %d", c.n, c.threads, chunks, size, c.chunks, c.size)
		}
		if size%32 != 0 || size > chunkRows || size*chunks < c.n || size*(chunks-1) >= c.n {
			t.Errorf("%d rows on %d goroutines: %d chunks of %d do not cover them", c.n, c.threads, chunks, size)
		}
	}
}
