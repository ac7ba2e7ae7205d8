package nn

import (
	"math"
	"testing"
)

// TestOptimizerSteps checks two steps of each rule against values worked
// out by hand from the update formulas (w0 = 1, g = 0.5 then -0.25,
// lr = 0.1).
func TestOptimizerSteps(t *testing.T) {
	const lr = 0.1
	g1, g2 := 0.5, -0.25
	adam := func(decay float64) float64 {
		w := 1.0
		b1, b2, eps := 0.9, 0.999, 1e-8
		w *= 1 - lr*decay
		m, v := (1-b1)*g1, (1-b2)*g1*g1
		w -= lr / (1 - b1) * m / (math.Sqrt(v)/math.Sqrt(1-b2) + eps)
		w *= 1 - lr*decay
		m, v = b1*m+(1-b1)*g2, b2*v+(1-b2)*g2*g2
		w -= lr / (1 - b1*b1) * m / (math.Sqrt(v)/math.Sqrt(1-b2*b2) + eps)
		return w
	}
	cases := []struct {
		opt  Optimizer
		want float64
	}{
		// sgd: 1 - 0.1*0.5 + 0.1*0.25
		{Optimizer{Kind: SGD}, 1 - 0.05 + 0.025},
		// momentum 0.9: v1 = 0.5, w1 = 0.95; v2 = 0.45-0.25 = 0.2, w2 = 0.93
		{Optimizer{Kind: Momentum, Momentum: 0.9}, 0.93},
		// nesterov: v1 = 0.5, w1 = 1 - 0.1*(0.5+0.45) = 0.905;
		// v2 = 0.2, w2 = 0.905 - 0.1*(-0.25+0.18) = 0.912
		{Optimizer{Kind: Nesterov, Momentum: 0.9}, 0.912},
		{Optimizer{Kind: Adam, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}, adam(0)},
		{Optimizer{Kind: AdamW, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01}, adam(0.01)},
		// rmsprop alpha 0.99: v1 = 0.01*0.25 = 0.0025, w1 = 1 - 0.1*0.5/0.05 = 0
		// v2 = 0.002475 + 0.000625 = 0.0031, w2 = 0 + 0.1*0.25/sqrt(0.0031)
		{Optimizer{Kind: RMSprop, Alpha: 0.99, Eps: 0}, 0.025 / math.Sqrt(0.0031)},
	}
	for _, tc := range cases {
		t.Run(tc.opt.Kind.String(), func(t *testing.T) {
			p := &Param{W: []float32{1}, G: []float32{float32(g1)}, Decay: true}
			o := tc.opt
			o.Step([]*Param{p}, lr)
			p.G[0] = float32(g2)
			o.Step([]*Param{p}, lr)
			if math.Abs(float64(p.W[0])-tc.want) > 1e-6 {
				t.Errorf("after two steps w = %.9f, want %.9f", p.W[0], tc.want)
			}
		})
	}
}

// TestWeightDecaySkipsBiases: decoupled decay shrinks weights, not biases.
func TestWeightDecaySkipsBiases(t *testing.T) {
	w := &Param{W: []float32{2}, G: []float32{0}, Decay: true}
	b := &Param{W: []float32{2}, G: []float32{0}}
	o := Optimizer{Kind: SGD, WeightDecay: 0.5}
	o.Step([]*Param{w, b}, 0.1)
	if w.W[0] != 2*(1-0.05) || b.W[0] != 2 {
		t.Errorf("weight %v (want 1.9), bias %v (want 2)", w.W[0], b.W[0])
	}
}

func TestClipGrad(t *testing.T) {
	env := newEnv(1)
	m, err := NewModel(Arch{In: 2, Out: 1, Act: ReLU}, env)
	if err != nil {
		t.Fatal(err)
	}
	ps := m.Params()
	ps[0].G[0], ps[0].G[1], ps[1].G[0] = 3, 0, 4 // norm 5
	if n := m.ClipGrad(1); math.Abs(n-5) > 1e-9 {
		t.Fatalf("norm = %v, want 5", n)
	}
	if math.Abs(float64(ps[0].G[0])-0.6) > 1e-5 || math.Abs(float64(ps[1].G[0])-0.8) > 1e-5 {
		t.Errorf("clipped gradients %v %v, want 0.6 0.8", ps[0].G, ps[1].G)
	}
}

func TestSchedules(t *testing.T) {
	cases := []struct {
		name    string
		s       Schedule
		e, b    int
		want    float64
		nb      int
		comment string
	}{
		{"constant", Schedule{Kind: Constant, Base: 0.1}, 7, 3, 0.1, 10, ""},
		{"step before", Schedule{Kind: StepDecay, Base: 0.1, StepSize: 5, Gamma: 0.5}, 4, 9, 0.1, 10, ""},
		{"step after two", Schedule{Kind: StepDecay, Base: 0.1, StepSize: 5, Gamma: 0.5}, 10, 0, 0.025, 10, ""},
		{"cosine start", Schedule{Kind: Cosine, Base: 0.1, Epochs: 10}, 0, 0, 0.1, 10, ""},
		{"cosine middle", Schedule{Kind: Cosine, Base: 0.1, Epochs: 10, MinLR: 0.01}, 5, 0, 0.055, 10, ""},
		{"warmup first batch", Schedule{Kind: Constant, Base: 0.1, Warmup: 2}, 0, 0, 0.1 * 0.05, 10, ""},
		{"warmup done", Schedule{Kind: Constant, Base: 0.1, Warmup: 2}, 2, 0, 0.1, 10, ""},
	}
	for _, tc := range cases {
		if got := tc.s.LR(tc.e, tc.b, tc.nb); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%s: lr = %v, want %v", tc.name, got, tc.want)
		}
	}
}
