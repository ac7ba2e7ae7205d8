package nn

import "math"

// Folded is one dense layer of a trained network as prediction runs it:
// y = act(x·W + b), W stored In x Out row-major, with any batch
// normalisation after it folded into W and b. Act is Identity for the
// output layer (raw logits or the scaled regression value).
type Folded struct {
	In, Out int
	W, B    []float32
	Act     Activation
}

// Fold returns the model's dense layers in evaluation form: each batch
// normalisation (with its running statistics) is folded into the dense
// layer before it, in float64: scale = gamma/sqrt(var+eps),
// W' = W·scale, b' = (b-mean)·scale + beta. Dropout, the identity at
// evaluation, is left out. The copies share nothing with the model.
func (m *Model) Fold() []Folded {
	var out []Folded
	for i, l := range m.layers {
		d, ok := l.(*Dense)
		if !ok {
			continue
		}
		f := Folded{In: d.In, Out: d.Out, W: append([]float32(nil), d.w.W...), B: append([]float32(nil), d.b.W...), Act: Identity}
		for _, next := range m.layers[i+1:] {
			if _, ok := next.(*Dense); ok {
				break
			}
			switch n := next.(type) {
			case *BatchNorm:
				foldBatchNorm(&f, n)
			case *Act:
				f.Act = n.Kind
			}
		}
		out = append(out, f)
	}
	return out
}

func foldBatchNorm(f *Folded, bn *BatchNorm) {
	for j := 0; j < f.Out; j++ {
		scale := float64(bn.gamma.W[j]) / math.Sqrt(float64(bn.runVar[j])+bn.Eps)
		for i := 0; i < f.In; i++ {
			f.W[i*f.Out+j] = float32(float64(f.W[i*f.Out+j]) * scale)
		}
		f.B[j] = float32((float64(f.B[j])-float64(bn.runMean[j]))*scale + float64(bn.beta.W[j]))
	}
}

// Apply computes y = act(x) elementwise on the calling goroutine, with the
// same arithmetic as a layer's forward pass (Identity copies).
func Apply(act Activation, x, y []float32) { activate(act, x, y) }
