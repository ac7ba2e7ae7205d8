package nn

import (
	"math"
	"math/rand/v2"

	"automl/plugins/mlp/kernels"
)

// Dense is a fully connected layer y = x·W + b with W stored in x out.
type Dense struct {
	In, Out int
	w, b    Param
	env     *Env
	x       *Mat // input of the last Forward (borrowed)
	y, dx   *Mat
}

// newDense returns a layer with weights drawn uniformly from [-a, a],
// a = sqrt(6/in) (He: variance 2/in) or sqrt(6/(in+out)) (Glorot:
// variance 2/(in+out)), and zero biases.
func newDense(env *Env, in, out int, glorot bool, rng *rand.Rand) *Dense {
	d := &Dense{In: in, Out: out, env: env}
	d.w = Param{Name: "weight", W: make([]float32, in*out), G: make([]float32, in*out), Decay: true}
	d.b = Param{Name: "bias", W: make([]float32, out), G: make([]float32, out)}
	fan := float64(in)
	if glorot {
		fan = float64(in + out)
	}
	a := math.Sqrt(6 / fan)
	for i := range d.w.W {
		d.w.W[i] = float32((2*rng.Float64() - 1) * a)
	}
	return d
}

// Forward computes x·W + b.
func (d *Dense) Forward(x *Mat, train bool) *Mat {
	d.x = x
	y := reshape(&d.y, x.R, d.Out)
	// Start from the bias and accumulate the product onto it.
	for i := 0; i < y.R; i++ {
		copy(y.D[i*d.Out:(i+1)*d.Out], d.b.W)
	}
	d.env.Exec.Gemm(false, false, x.R, d.Out, d.In, x.D, d.In, d.w.W, d.Out, y.D, d.Out, true)
	return y
}

// Backward sets dW = xᵀ·dy, db = Σ dy and returns dy·Wᵀ.
func (d *Dense) Backward(dy *Mat, needDx bool) *Mat {
	x := d.x
	d.env.Exec.Gemm(true, false, d.In, d.Out, x.R, x.D, d.In, dy.D, d.Out, d.w.G, d.Out, false)
	db := d.b.G
	clear(db)
	for i := 0; i < dy.R; i++ {
		kernels.Add(db, dy.D[i*d.Out:(i+1)*d.Out])
	}
	if !needDx {
		return nil
	}
	dx := reshape(&d.dx, dy.R, d.In)
	d.env.Exec.Gemm(false, true, dy.R, d.In, d.Out, dy.D, d.Out, d.w.W, d.Out, dx.D, d.In, false)
	return dx
}

// Params returns the weight and bias.
func (d *Dense) Params() []*Param { return []*Param{&d.w, &d.b} }

// Buffers: none.
func (d *Dense) Buffers() [][]float32 { return nil }
