package nn

import (
	"errors"
	"fmt"
	"math"
)

// Arch describes a multilayer perceptron.
type Arch struct {
	In     int
	Hidden []int // units per hidden layer; empty: a linear model
	Out    int
	Act    Activation
	// Dropout probability after each hidden activation (0: none).
	Dropout float64
	// BatchNorm between each hidden dense layer and its activation.
	BatchNorm bool
	// Glorot selects Glorot initialisation for hidden layers; otherwise He.
	// The output layer always uses Glorot.
	Glorot bool
}

// Validate checks an architecture.
func (a Arch) Validate() error {
	switch {
	case a.In < 1:
		return errors.New("no input features")
	case a.Out < 1:
		return errors.New("no outputs")
	case a.Dropout < 0 || a.Dropout >= 1:
		return fmt.Errorf("dropout must be in [0, 1), got %v", a.Dropout)
	}
	for i, u := range a.Hidden {
		if u < 1 {
			return fmt.Errorf("hidden layer %d has %d units; want at least 1", i+1, u)
		}
	}
	if a.Act == 0 || a.Act == Identity {
		return errors.New("no activation")
	}
	return nil
}

// Model is a sequence of layers.
type Model struct {
	Arch   Arch
	Env    *Env
	layers []Layer
	dense  []*Dense
	params []*Param
}

// NewModel builds a model and initialises its weights from env.Rng.
func NewModel(arch Arch, env *Env) (*Model, error) {
	if err := arch.Validate(); err != nil {
		return nil, err
	}
	m := &Model{Arch: arch, Env: env}
	in := arch.In
	for _, u := range arch.Hidden {
		d := newDense(env, in, u, arch.Glorot, env.Rng)
		m.dense = append(m.dense, d)
		m.layers = append(m.layers, d)
		if arch.BatchNorm {
			m.layers = append(m.layers, newBatchNorm(u))
		}
		m.layers = append(m.layers, newAct(env, arch.Act))
		if arch.Dropout > 0 {
			m.layers = append(m.layers, newDropout(env, arch.Dropout))
		}
		in = u
	}
	out := newDense(env, in, arch.Out, true, env.Rng)
	m.dense = append(m.dense, out)
	m.layers = append(m.layers, out)
	for _, l := range m.layers {
		m.params = append(m.params, l.Params()...)
	}
	return m, nil
}

// Forward runs the network; the result is owned by the model.
func (m *Model) Forward(x *Mat, train bool) *Mat {
	for _, l := range m.layers {
		x = l.Forward(x, train)
	}
	return x
}

// Backward propagates the loss gradient dz of the last Forward and sets
// every parameter's gradient.
func (m *Model) Backward(dz *Mat) {
	for i := len(m.layers) - 1; i >= 0; i-- {
		dz = m.layers[i].Backward(dz, i > 0)
	}
}

// Params lists the trainable tensors in a fixed order.
func (m *Model) Params() []*Param { return m.params }

// Buffers lists non-trainable state (batch-norm running statistics).
func (m *Model) Buffers() [][]float32 {
	var out [][]float32
	for _, l := range m.layers {
		out = append(out, l.Buffers()...)
	}
	return out
}

// Penalty adds the gradients of l1·Σ|w| + l2/2·Σw² over the decayed
// weights to their gradients and returns the penalty's value.
func (m *Model) Penalty(l1, l2 float64) float64 {
	if l1 == 0 && l2 == 0 {
		return 0
	}
	var pen float64
	a, b := float32(l1), float32(l2)
	for _, p := range m.params {
		if !p.Decay {
			continue
		}
		for i, w := range p.W {
			pen += l1*math.Abs(float64(w)) + 0.5*l2*float64(w)*float64(w)
			g := b * w
			if w > 0 {
				g += a
			} else if w < 0 {
				g -= a
			}
			p.G[i] += g
		}
	}
	return pen
}

// ClipGrad scales all gradients so their global L2 norm is at most maxNorm
// and returns the norm before clipping.
func (m *Model) ClipGrad(maxNorm float64) float64 {
	var s float64
	for _, p := range m.params {
		for _, g := range p.G {
			s += float64(g) * float64(g)
		}
	}
	norm := math.Sqrt(s)
	if maxNorm > 0 && norm > maxNorm {
		f := float32(maxNorm / (norm + 1e-6))
		for _, p := range m.params {
			for i := range p.G {
				p.G[i] *= f
			}
		}
	}
	return norm
}

// Predict runs the network in evaluation mode over x in chunks of at most
// `chunk` rows and returns the outputs (len x.R * Out).
func (m *Model) Predict(x *Mat, chunk int) []float32 {
	out := make([]float32, 0, x.R*m.Arch.Out)
	for lo := 0; lo < x.R; lo += chunk {
		hi := min(lo+chunk, x.R)
		z := m.Forward(x.Rows(lo, hi), false)
		out = append(out, z.D...)
	}
	return out
}
