package nn

import (
	"fmt"
	"math"

	"automl/plugins/mlp/kernels"
)

// OptimizerKind names an update rule.
type OptimizerKind uint8

const (
	SGD OptimizerKind = iota + 1
	Momentum
	Nesterov
	Adam
	AdamW
	RMSprop
)

var optimizerNames = map[OptimizerKind]string{SGD: "sgd", Momentum: "momentum", Nesterov: "nesterov", Adam: "adam", AdamW: "adamw", RMSprop: "rmsprop"}

// OptimizerNames lists the accepted names, for messages.
var OptimizerNames = []string{"sgd", "momentum", "nesterov", "adam", "adamw", "rmsprop"}

func (k OptimizerKind) String() string { return optimizerNames[k] }

// ParseOptimizer reads an optimizer name.
func ParseOptimizer(s string) (OptimizerKind, error) {
	for k, n := range optimizerNames {
		if n == s {
			return k, nil
		}
	}
	return 0, fmt.Errorf("unknown optimizer %q; one of %v", s, OptimizerNames)
}

// Optimizer updates parameters from their gradients. The rules follow
// PyTorch's torch.optim (SGD with momentum/nesterov dampening 0, Adam with
// bias correction and eps outside the square root, RMSprop without
// momentum). WeightDecay is decoupled (w -= lr·wd·w before the step), as in
// AdamW, and applies to the decayed weights only.
type Optimizer struct {
	Kind         OptimizerKind
	Momentum     float64 // momentum, nesterov
	Beta1, Beta2 float64 // adam, adamw
	Alpha        float64 // rmsprop's smoothing constant
	Eps          float64 // adam, adamw, rmsprop
	WeightDecay  float64
	// T counts steps taken (Adam's bias correction).
	T int64
	// M and V are the first and second moment (or the velocity) per
	// parameter, allocated on the first step.
	M, V [][]float32
}

// Step applies one update with learning rate lr.
func (o *Optimizer) Step(params []*Param, lr float64) {
	if o.M == nil {
		o.M = make([][]float32, len(params))
		o.V = make([][]float32, len(params))
		for i, p := range params {
			switch o.Kind {
			case Momentum, Nesterov:
				o.M[i] = make([]float32, len(p.W))
			case Adam, AdamW:
				o.M[i] = make([]float32, len(p.W))
				o.V[i] = make([]float32, len(p.W))
			case RMSprop:
				o.V[i] = make([]float32, len(p.W))
			}
		}
	}
	o.T++
	lr32 := float32(lr)
	for i, p := range params {
		if o.WeightDecay > 0 && p.Decay {
			f := float32(1 - lr*o.WeightDecay)
			for j := range p.W {
				p.W[j] *= f
			}
		}
		w, g := p.W, p.G[:len(p.W)]
		switch o.Kind {
		case SGD:
			for j, gj := range g {
				w[j] -= lr32 * gj
			}
		case Momentum, Nesterov:
			mu := float32(o.Momentum)
			v := o.M[i][:len(w)]
			for j, gj := range g {
				v[j] = mu*v[j] + gj
				if o.Kind == Nesterov {
					w[j] -= lr32 * (gj + mu*v[j])
				} else {
					w[j] -= lr32 * v[j]
				}
			}
		case Adam, AdamW:
			b1, b2 := float32(o.Beta1), float32(o.Beta2)
			c1 := 1 - math.Pow(o.Beta1, float64(o.T))
			c2 := 1 - math.Pow(o.Beta2, float64(o.T))
			kernels.Adam(w, g, o.M[i], o.V[i], &kernels.AdamConst{b1, 1 - b1, b2, 1 - b2, float32(lr / c1), float32(1 / math.Sqrt(c2)), float32(o.Eps)})
		case RMSprop:
			a := float32(o.Alpha)
			eps := float32(o.Eps)
			v := o.V[i][:len(w)]
			for j, gj := range g {
				v[j] = a*v[j] + (1-a)*gj*gj
				w[j] -= lr32 * gj / (sqrt32(v[j]) + eps)
			}
		}
	}
}

func sqrt32(x float32) float32 { return float32(math.Sqrt(float64(x))) }
