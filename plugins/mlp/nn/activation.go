package nn

import (
	"fmt"
	"math"

	"automl/plugins/mlp/kernels"
)

// Activation is an elementwise non-linearity.
type Activation uint8

const (
	ReLU Activation = iota + 1
	LeakyReLU
	Tanh
	Sigmoid
	GELU
	// Identity is the output layer's (no activation); not a hidden choice.
	Identity
)

var activationNames = map[Activation]string{ReLU: "relu", LeakyReLU: "leaky_relu", Tanh: "tanh", Sigmoid: "sigmoid", GELU: "gelu", Identity: "identity"}

// ActivationNames are the hidden-layer activations, for messages.
var ActivationNames = []string{"relu", "leaky_relu", "tanh", "sigmoid", "gelu"}

func (a Activation) String() string { return activationNames[a] }

// ParseActivation reads an activation name.
func ParseActivation(s string) (Activation, error) {
	for a, n := range activationNames {
		if n == s && a != Identity {
			return a, nil
		}
	}
	return 0, fmt.Errorf("unknown activation %q; one of %v", s, ActivationNames)
}

// leakySlope is leaky_relu's slope for negative inputs (PyTorch's default).
const leakySlope = 0.01

// parallelMin is the element count above which elementwise loops are
// split between threads.
const parallelMin = 1 << 14

// elementwise runs fn over [0, n) on the executor's threads when n is large.
func elementwise(env *Env, n int, fn func(lo, hi int)) {
	th := 1
	if n >= parallelMin {
		th = env.Exec.Threads()
	}
	kernels.For(th, n, 1024, fn)
}

// Act applies an activation.
type Act struct {
	Kind  Activation
	env   *Env
	x     *Mat
	y, dx *Mat
}

// newAct returns an activation layer.
func newAct(env *Env, kind Activation) *Act { return &Act{Kind: kind, env: env} }

// Forward applies the function elementwise.
func (a *Act) Forward(x *Mat, train bool) *Mat {
	a.x = x
	y := reshape(&a.y, x.R, x.C)
	in, out := x.D, y.D
	elementwise(a.env, len(in), func(lo, hi int) { activate(a.Kind, in[lo:hi], out[lo:hi]) })
	return y
}

// Backward multiplies by the derivative.
func (a *Act) Backward(dy *Mat, needDx bool) *Mat {
	if !needDx {
		return nil
	}
	dx := reshape(&a.dx, dy.R, dy.C)
	x, y, g, out := a.x.D, a.y.D, dy.D, dx.D
	elementwise(a.env, len(g), func(lo, hi int) { derive(a.Kind, x[lo:hi], y[lo:hi], g[lo:hi], out[lo:hi]) })
	return dx
}

// Params: none.
func (a *Act) Params() []*Param { return nil }

// Buffers: none.
func (a *Act) Buffers() [][]float32 { return nil }

func activate(k Activation, x, y []float32) {
	y = y[:len(x)]
	switch k {
	case ReLU:
		kernels.Relu(x, y)
	case LeakyReLU:
		for i, v := range x {
			if v < 0 {
				v *= leakySlope
			}
			y[i] = v
		}
	case Tanh:
		kernels.Tanh(x, y) // float32(math.Tanh(float64(v))), bit for bit
	case Sigmoid:
		for i, v := range x {
			y[i] = float32(sigmoid(float64(v)))
		}
	case GELU:
		for i, v := range x {
			z := float64(v)
			y[i] = float32(0.5 * z * (1 + math.Erf(z/math.Sqrt2)))
		}
	default:
		copy(y, x)
	}
}

// derive sets dx = dy · f'(x), using the saved output y where cheaper.
func derive(k Activation, x, y, dy, dx []float32) {
	x, y, dx = x[:len(dy)], y[:len(dy)], dx[:len(dy)]
	switch k {
	case ReLU:
		kernels.ReluGrad(y, dy, dx)
	case LeakyReLU:
		for i, g := range dy {
			if x[i] < 0 {
				g *= leakySlope
			}
			dx[i] = g
		}
	case Tanh:
		for i, g := range dy {
			dx[i] = g * (1 - y[i]*y[i])
		}
	case Sigmoid:
		for i, g := range dy {
			dx[i] = g * y[i] * (1 - y[i])
		}
	case GELU:
		const invSqrt2Pi = 0.3989422804014327
		for i, g := range dy {
			z := float64(x[i])
			d := 0.5*(1+math.Erf(z/math.Sqrt2)) + z*invSqrt2Pi*math.Exp(-0.5*z*z)
			dx[i] = float32(float64(g) * d)
		}
	default:
		copy(dx, dy)
	}
}

// sigmoid is 1/(1+e^-z) without overflow for large |z|.
func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}
