package nn

// Dropout zeroes each input with probability P during training and scales
// the rest by 1/(1-P) (inverted dropout), so evaluation is the identity.
type Dropout struct {
	P     float64
	env   *Env
	mask  []float32
	y, dx *Mat
}

// newDropout returns a dropout layer with drop probability p in [0, 1).
func newDropout(env *Env, p float64) *Dropout { return &Dropout{P: p, env: env} }

// Forward draws a fresh mask from the model's RNG when training.
func (d *Dropout) Forward(x *Mat, train bool) *Mat {
	if !train || d.P == 0 {
		d.mask = d.mask[:0]
		return x
	}
	y := reshape(&d.y, x.R, x.C)
	if cap(d.mask) < len(x.D) {
		d.mask = make([]float32, len(x.D))
	}
	d.mask = d.mask[:len(x.D)]
	keep := float32(1 / (1 - d.P))
	rng := d.env.Rng
	for i := range d.mask {
		if rng.Float64() < d.P {
			d.mask[i] = 0
		} else {
			d.mask[i] = keep
		}
	}
	for i, v := range x.D {
		y.D[i] = v * d.mask[i]
	}
	return y
}

// Backward applies the last mask.
func (d *Dropout) Backward(dy *Mat, needDx bool) *Mat {
	if !needDx {
		return nil
	}
	if len(d.mask) == 0 {
		return dy
	}
	dx := reshape(&d.dx, dy.R, dy.C)
	for i, g := range dy.D {
		dx.D[i] = g * d.mask[i]
	}
	return dx
}

// Params: none.
func (d *Dropout) Params() []*Param { return nil }

// Buffers: none.
func (d *Dropout) Buffers() [][]float32 { return nil }
