package nn

import (
	"math/rand/v2"
	"testing"
)

// fit trains full-batch for n steps and returns the model.
func fit(t *testing.T, arch Arch, loss LossFunc, opt Optimizer, lr float64, x *Mat, y []float32, steps int) *Model {
	t.Helper()
	env := newEnv(3)
	m, err := NewModel(arch, env)
	if err != nil {
		t.Fatal(err)
	}
	dz := NewMat(x.R, arch.Out)
	for s := 0; s < steps; s++ {
		z := m.Forward(x, true)
		loss.Eval(z, y, dz)
		m.Backward(dz)
		opt.Step(m.Params(), lr)
	}
	return m
}

func TestLearnsXOR(t *testing.T) {
	x := &Mat{R: 4, C: 2, D: []float32{0, 0, 0, 1, 1, 0, 1, 1}}
	y := []float32{0, 1, 1, 0}
	for _, act := range []Activation{ReLU, Tanh, GELU} {
		m := fit(t, Arch{In: 2, Hidden: []int{8}, Out: 1, Act: act}, LossFunc{Kind: BinaryCrossEntropy},
			Optimizer{Kind: Adam, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}, 0.05, x, y, 500)
		z := m.Predict(x, 4)
		for i, v := range z {
			if (v > 0) != (y[i] == 1) {
				t.Errorf("%v: xor%v: logit %v, want class %v", act, x.Row(i), v, y[i])
			}
		}
	}
}

// TestLearnsLinearRule: a linear model recovers y = 2a - 3b + 1 exactly
// (to float32 precision) and classifies a linearly separable rule with no
// errors.
func TestLearnsLinearRule(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	x := randMat(rng, 64, 2, 1)
	yr := make([]float32, 64)
	yc := make([]float32, 64)
	for i := range yr {
		a, b := x.D[2*i], x.D[2*i+1]
		yr[i] = 2*a - 3*b + 1
		if a+b > 0 {
			yc[i] = 1
		}
	}
	m := fit(t, Arch{In: 2, Out: 1, Act: ReLU}, LossFunc{Kind: MSE}, Optimizer{Kind: SGD}, 0.1, x, yr, 2000)
	z := m.Predict(x, 64)
	for i, v := range z {
		if d := v - yr[i]; d > 1e-4 || d < -1e-4 {
			t.Fatalf("row %d: predicted %v, want %v", i, v, yr[i])
		}
	}
	m = fit(t, Arch{In: 2, Hidden: []int{4}, Out: 1, Act: ReLU}, LossFunc{Kind: BinaryCrossEntropy},
		Optimizer{Kind: Momentum, Momentum: 0.9}, 0.1, x, yc, 2000)
	for i, v := range m.Predict(x, 64) {
		if (v > 0) != (yc[i] == 1) {
			t.Errorf("row %d misclassified (logit %v, class %v)", i, v, yc[i])
		}
	}
}
