package nn

import (
	"math"
	"testing"
)

// forwardFolded runs folded layers with a plain triple loop.
func forwardFolded(layers []Folded, x *Mat) []float32 {
	cur := x.D
	rows := x.R
	for _, l := range layers {
		next := make([]float32, rows*l.Out)
		for r := 0; r < rows; r++ {
			for j := 0; j < l.Out; j++ {
				s := float64(l.B[j])
				for i := 0; i < l.In; i++ {
					s += float64(cur[r*l.In+i]) * float64(l.W[i*l.Out+j])
				}
				next[r*l.Out+j] = float32(s)
			}
			Apply(l.Act, next[r*l.Out:(r+1)*l.Out], next[r*l.Out:(r+1)*l.Out])
		}
		cur = next
	}
	return cur
}

// TestFoldMatchesEvaluationForward trains a network with batch norm and
// dropout a few steps (so the running statistics and gamma/beta move away
// from their initial values) and checks the folded layers compute what
// the model computes in evaluation mode.
func TestFoldMatchesEvaluationForward(t *testing.T) {
	for _, act := range []Activation{ReLU, Tanh, GELU, LeakyReLU, Sigmoid} {
		for _, bn := range []bool{false, true} {
			env := newEnv(5)
			arch := Arch{In: 7, Hidden: []int{16, 9}, Out: 3, Act: act, Dropout: 0.3, BatchNorm: bn}
			m, err := NewModel(arch, env)
			if err != nil {
				t.Fatal(err)
			}
			x := randMat(env.Rng, 40, 7, 2)
			y := make([]float32, 40)
			for i := range y {
				y[i] = float32(i % 3)
			}
			dz := NewMat(40, 3)
			opt := Optimizer{Kind: Adam, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
			loss := LossFunc{Kind: CrossEntropy}
			for s := 0; s < 20; s++ {
				z := m.Forward(x, true)
				loss.Eval(z, y, dz)
				m.Backward(dz)
				opt.Step(m.Params(), 0.05)
			}
			want := append([]float32(nil), m.Forward(x, false).D...)
			layers := m.Fold()
			if len(layers) != 3 || layers[0].Act != act || layers[2].Act != Identity {
				t.Fatalf("%v bn=%v: fold gave %d layers, acts %v", act, bn, len(layers), layers)
			}
			got := forwardFolded(layers, x)
			for i := range want {
				if d := math.Abs(float64(got[i] - want[i])); d > 1e-4*(1+math.Abs(float64(want[i]))) {
					t.Fatalf("%v bn=%v: output %d: folded %v, model %v", act, bn, i, got[i], want[i])
				}
			}
			// The copies are the caller's.
			layers[0].W[0] += 100
			if m.Fold()[0].W[0] == layers[0].W[0] {
				t.Fatalf("Fold shares the model's weights")
			}
		}
	}
}
