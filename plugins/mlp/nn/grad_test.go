package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"automl/plugins/mlp/kernels"
)

const fdStep = 1e-3

func newEnv(seed uint64) *Env {
	return &Env{Exec: kernels.NewExec(2), Rng: rand.New(rand.NewPCG(seed, 1))}
}

func randMat(rng *rand.Rand, r, c int, scale float64) *Mat {
	m := NewMat(r, c)
	for i := range m.D {
		m.D[i] = float32(scale * rng.NormFloat64())
	}
	return m
}

// closeGrad compares an analytic and a numeric derivative with a tolerance
// fitting float32 forward passes and central differences.
func closeGrad(analytic, numeric float64) bool {
	return math.Abs(analytic-numeric) <= 2e-2*math.Max(math.Abs(analytic), math.Abs(numeric))+2e-3
}

// layerLoss is L = Σ c·y for a fixed random c, so dL/dy = c.
func layerLoss(y *Mat, c *Mat) float64 {
	var s float64
	for i, v := range y.D {
		s += float64(v) * float64(c.D[i])
	}
	return s
}

// checkLayer compares a layer's parameter and input gradients with central
// differences of L = Σ c·layer(x). reseed resets any RNG the layer draws
// from before each forward pass, so dropout masks repeat.
func checkLayer(t *testing.T, name string, l Layer, x *Mat, reseed func()) {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 7))
	reseed()
	y := l.Forward(x, true)
	c := randMat(rng, y.R, y.C, 1)
	dx := l.Backward(c, true)
	dxCopy := append([]float32(nil), dx.D...)
	grads := map[*Param][]float32{}
	for _, p := range l.Params() {
		grads[p] = append([]float32(nil), p.G...)
	}
	loss := func() float64 {
		reseed()
		return layerLoss(l.Forward(x, true), c)
	}
	numeric := func(v *float32) float64 {
		old := *v
		*v = old + fdStep
		up := loss()
		*v = old - fdStep
		down := loss()
		*v = old
		return (up - down) / (2 * fdStep)
	}
	for i := range x.D {
		if n := numeric(&x.D[i]); !closeGrad(float64(dxCopy[i]), n) {
			t.Errorf("%s: dL/dx[%d] = %v, finite difference %v", name, i, dxCopy[i], n)
		}
	}
	for _, p := range l.Params() {
		for i := range p.W {
			if n := numeric(&p.W[i]); !closeGrad(float64(grads[p][i]), n) {
				t.Errorf("%s: dL/d%s[%d] = %v, finite difference %v", name, p.Name, i, grads[p][i], n)
			}
		}
	}
}

func TestLayerGradients(t *testing.T) {
	env := newEnv(1)
	rng := rand.New(rand.NewPCG(3, 4))
	noop := func() {}
	t.Run("dense", func(t *testing.T) {
		for _, sh := range [][3]int{{5, 4, 3}, {7, 20, 1}, {3, 1, 17}} {
			d := newDense(env, sh[1], sh[2], false, rng)
			for i := range d.b.W {
				d.b.W[i] = float32(rng.NormFloat64())
			}
			checkLayer(t, fmt.Sprintf("dense %v", sh), d, randMat(rng, sh[0], sh[1], 1), noop)
		}
	})
	for _, a := range []Activation{ReLU, LeakyReLU, Tanh, Sigmoid, GELU, Identity} {
		t.Run(a.String(), func(t *testing.T) {
			x := randMat(rng, 6, 5, 2)
			for i, v := range x.D { // keep clear of relu's kink
				if math.Abs(float64(v)) < 0.05 {
					x.D[i] = 0.3
				}
			}
			checkLayer(t, a.String(), newAct(env, a), x, noop)
		})
	}
	t.Run("dropout", func(t *testing.T) {
		d := newDropout(env, 0.4)
		checkLayer(t, "dropout", d, randMat(rng, 8, 6, 1), func() { env.Rng = rand.New(rand.NewPCG(11, 12)) })
	})
	t.Run("batchnorm", func(t *testing.T) {
		bn := newBatchNorm(4)
		for i := range bn.gamma.W {
			bn.gamma.W[i] = float32(1 + 0.5*rng.NormFloat64())
			bn.beta.W[i] = float32(rng.NormFloat64())
		}
		checkLayer(t, "batchnorm", bn, randMat(rng, 9, 4, 2), noop)
	})
}

func TestLossGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	cases := []struct {
		f   LossFunc
		out int
		y   func(i int) float32
	}{
		{LossFunc{Kind: BinaryCrossEntropy}, 1, func(i int) float32 { return float32(i % 2) }},
		{LossFunc{Kind: CrossEntropy}, 4, func(i int) float32 { return float32(i % 4) }},
		{LossFunc{Kind: MSE}, 1, func(i int) float32 { return float32(rng.NormFloat64()) }},
		{LossFunc{Kind: Huber, Delta: 0.7}, 1, func(i int) float32 { return float32(2 * rng.NormFloat64()) }},
		{LossFunc{Kind: BinaryCrossEntropy, Smooth: 0.1}, 1, func(i int) float32 { return float32(i % 2) }},
		{LossFunc{Kind: CrossEntropy, Smooth: 0.2}, 4, func(i int) float32 { return float32(i % 4) }},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%v_smooth%v", tc.f.Kind, tc.f.Smooth), func(t *testing.T) {
			z := randMat(rng, 10, tc.out, 3)
			y := make([]float32, 10)
			for i := range y {
				y[i] = tc.y(i)
			}
			dz := NewMat(z.R, z.C)
			tc.f.Eval(z, y, dz)
			for i := range z.D {
				old := z.D[i]
				z.D[i] = old + fdStep
				up := tc.f.Eval(z, y, nil)
				z.D[i] = old - fdStep
				down := tc.f.Eval(z, y, nil)
				z.D[i] = old
				if n := (up - down) / (2 * fdStep); !closeGrad(float64(dz.D[i]), n) {
					t.Errorf("dL/dz[%d] = %v, finite difference %v", i, dz.D[i], n)
				}
			}
		})
	}
}

// TestLabelSmoothingOptimum: with smoothing e the loss is lowest where
// the predicted probabilities equal the smoothed target, not at 0 and 1.
func TestLabelSmoothingOptimum(t *testing.T) {
	f := LossFunc{Kind: BinaryCrossEntropy, Smooth: 0.2}
	dz := NewMat(1, 1)
	// target 1 smoothed to 0.9: the gradient vanishes at sigmoid(z) = 0.9
	z := &Mat{R: 1, C: 1, D: []float32{float32(math.Log(0.9 / 0.1))}}
	f.Eval(z, []float32{1}, dz)
	if math.Abs(float64(dz.D[0])) > 1e-6 {
		t.Errorf("binary gradient at the smoothed optimum = %v", dz.D[0])
	}
	c := LossFunc{Kind: CrossEntropy, Smooth: 0.3}
	// 3 classes, true class 0: q = (0.8, 0.1, 0.1); logits log q
	zc := &Mat{R: 1, C: 3, D: []float32{float32(math.Log(0.8)), float32(math.Log(0.1)), float32(math.Log(0.1))}}
	dc := NewMat(1, 3)
	c.Eval(zc, []float32{0}, dc)
	for j, g := range dc.D {
		if math.Abs(float64(g)) > 1e-6 {
			t.Errorf("cross-entropy gradient[%d] at the smoothed optimum = %v", j, g)
		}
	}
}

// TestLossStableForLargeLogits: computed from logits, the losses stay
// finite where a naive log(sigmoid) or softmax would overflow.
func TestLossStableForLargeLogits(t *testing.T) {
	z := &Mat{R: 2, C: 1, D: []float32{1e4, -1e4}}
	if l := (LossFunc{Kind: BinaryCrossEntropy}).Eval(z, []float32{0, 1}, nil); math.Abs(l-1e4) > 1 {
		t.Errorf("bce of confident wrong logits = %v, want 1e4", l)
	}
	zc := &Mat{R: 1, C: 3, D: []float32{1e4, 0, -1e4}}
	if l := (LossFunc{Kind: CrossEntropy}).Eval(zc, []float32{1}, nil); math.Abs(l-1e4) > 1 {
		t.Errorf("cross entropy = %v, want 1e4", l)
	}
}

// TestModelGradients checks whole networks, penalties included, against
// finite differences of the training loss.
func TestModelGradients(t *testing.T) {
	cases := []struct {
		arch Arch
		loss LossFunc
		l1   float64
		l2   float64
	}{
		{Arch{In: 4, Hidden: []int{5, 3}, Out: 1, Act: Tanh}, LossFunc{Kind: BinaryCrossEntropy}, 0, 0.1},
		{Arch{In: 3, Hidden: []int{6}, Out: 3, Act: GELU, BatchNorm: true}, LossFunc{Kind: CrossEntropy}, 0.01, 0},
		{Arch{In: 5, Hidden: []int{4, 4}, Out: 1, Act: Sigmoid, Dropout: 0.3}, LossFunc{Kind: MSE}, 0.01, 0.01},
		{Arch{In: 5, Hidden: []int{7}, Out: 1, Act: LeakyReLU, Glorot: true}, LossFunc{Kind: Huber, Delta: 1}, 0, 0},
		{Arch{In: 3, Hidden: nil, Out: 2, Act: ReLU}, LossFunc{Kind: CrossEntropy}, 0, 0.5},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%v/%v/%v", tc.arch.Hidden, tc.arch.Act, tc.loss.Kind), func(t *testing.T) {
			env := newEnv(9)
			m, err := NewModel(tc.arch, env)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			x := randMat(rng, 8, tc.arch.In, 1)
			y := make([]float32, 8)
			for i := range y {
				switch tc.loss.Kind {
				case BinaryCrossEntropy:
					y[i] = float32(i % 2)
				case CrossEntropy:
					y[i] = float32(i % tc.arch.Out)
				default:
					y[i] = float32(rng.NormFloat64())
				}
			}
			total := func(grad bool) float64 {
				env.Rng = rand.New(rand.NewPCG(42, 42)) // same dropout mask each pass
				z := m.Forward(x, true)
				var dz *Mat
				if grad {
					dz = NewMat(z.R, z.C)
				}
				l := tc.loss.Eval(z, y, dz)
				if grad {
					m.Backward(dz)
					return l + m.Penalty(tc.l1, tc.l2)
				}
				pen := 0.0
				for _, p := range m.Params() {
					if p.Decay {
						for _, w := range p.W {
							pen += tc.l1*math.Abs(float64(w)) + 0.5*tc.l2*float64(w)*float64(w)
						}
					}
				}
				return l + pen
			}
			total(true)
			for _, p := range m.Params() {
				g := append([]float32(nil), p.G...)
				for i := range p.W {
					old := p.W[i]
					p.W[i] = old + fdStep
					up := total(false)
					p.W[i] = old - fdStep
					down := total(false)
					p.W[i] = old
					if n := (up - down) / (2 * fdStep); !closeGrad(float64(g[i]), n) {
						t.Errorf("%s[%d]: gradient %v, finite difference %v", p.Name, i, g[i], n)
					}
				}
			}
		})
	}
}
