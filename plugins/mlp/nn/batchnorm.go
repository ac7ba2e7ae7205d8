package nn

import "math"

// BatchNorm normalises each feature over the batch while training (and
// updates running estimates), and with the running estimates when
// evaluating; then scales by gamma and shifts by beta. Statistics are
// summed in float64 in row order, so they do not depend on threads.
type BatchNorm struct {
	N        int
	Momentum float64 // weight of the new batch in the running estimates
	Eps      float64
	gamma    Param
	beta     Param
	runMean  []float32
	runVar   []float32
	xhat     *Mat
	invStd   []float64
	y, dx    *Mat
	// Per-feature sums, reused between calls.
	mean, vr, sdy, sdyx []float64
}

// newBatchNorm returns a layer over n features with PyTorch's defaults
// (momentum 0.1, eps 1e-5, gamma 1, beta 0).
func newBatchNorm(n int) *BatchNorm {
	bn := &BatchNorm{N: n, Momentum: 0.1, Eps: 1e-5, runMean: make([]float32, n), runVar: make([]float32, n), invStd: make([]float64, n),
		mean: make([]float64, n), vr: make([]float64, n), sdy: make([]float64, n), sdyx: make([]float64, n)}
	bn.gamma = Param{Name: "gamma", W: make([]float32, n), G: make([]float32, n)}
	bn.beta = Param{Name: "beta", W: make([]float32, n), G: make([]float32, n)}
	for i := range bn.gamma.W {
		bn.gamma.W[i] = 1
		bn.runVar[i] = 1
	}
	return bn
}

// Forward normalises x.
func (bn *BatchNorm) Forward(x *Mat, train bool) *Mat {
	y := reshape(&bn.y, x.R, x.C)
	xhat := reshape(&bn.xhat, x.R, x.C)
	if train {
		mean, vr := bn.mean, bn.vr
		clear(mean)
		clear(vr)
		for i := 0; i < x.R; i++ {
			for j, v := range x.Row(i) {
				mean[j] += float64(v)
			}
		}
		for j := range mean {
			mean[j] /= float64(x.R)
		}
		for i := 0; i < x.R; i++ {
			for j, v := range x.Row(i) {
				d := float64(v) - mean[j]
				vr[j] += d * d
			}
		}
		for j := range vr {
			biased := vr[j] / float64(x.R)
			unbiased := biased
			if x.R > 1 {
				unbiased = vr[j] / float64(x.R-1)
			}
			bn.invStd[j] = 1 / math.Sqrt(biased+bn.Eps)
			bn.runMean[j] = float32((1-bn.Momentum)*float64(bn.runMean[j]) + bn.Momentum*mean[j])
			bn.runVar[j] = float32((1-bn.Momentum)*float64(bn.runVar[j]) + bn.Momentum*unbiased)
		}
		for i := 0; i < x.R; i++ {
			xr, hr, yr := x.Row(i), xhat.Row(i), y.Row(i)
			for j, v := range xr {
				h := (float64(v) - mean[j]) * bn.invStd[j]
				hr[j] = float32(h)
				yr[j] = float32(h*float64(bn.gamma.W[j]) + float64(bn.beta.W[j]))
			}
		}
		return y
	}
	for i := 0; i < x.R; i++ {
		xr, yr := x.Row(i), y.Row(i)
		for j, v := range xr {
			h := (float64(v) - float64(bn.runMean[j])) / math.Sqrt(float64(bn.runVar[j])+bn.Eps)
			yr[j] = float32(h*float64(bn.gamma.W[j]) + float64(bn.beta.W[j]))
		}
	}
	return y
}

// Backward of the training-mode transform:
// dx = gamma*invStd/B * (B*dy - Σdy - xhat*Σ(dy*xhat)).
func (bn *BatchNorm) Backward(dy *Mat, needDx bool) *Mat {
	n := bn.N
	sdy, sdyx := bn.sdy, bn.sdyx
	clear(sdy)
	clear(sdyx)
	for i := 0; i < dy.R; i++ {
		hr := bn.xhat.Row(i)
		for j, g := range dy.Row(i) {
			sdy[j] += float64(g)
			sdyx[j] += float64(g) * float64(hr[j])
		}
	}
	for j := 0; j < n; j++ {
		bn.beta.G[j] = float32(sdy[j])
		bn.gamma.G[j] = float32(sdyx[j])
	}
	if !needDx {
		return nil
	}
	dx := reshape(&bn.dx, dy.R, dy.C)
	b := float64(dy.R)
	for i := 0; i < dy.R; i++ {
		hr, gr, xr := bn.xhat.Row(i), dy.Row(i), dx.Row(i)
		for j := range gr {
			xr[j] = float32(float64(bn.gamma.W[j]) * bn.invStd[j] / b * (b*float64(gr[j]) - sdy[j] - float64(hr[j])*sdyx[j]))
		}
	}
	return dx
}

// Params returns gamma and beta.
func (bn *BatchNorm) Params() []*Param { return []*Param{&bn.gamma, &bn.beta} }

// Buffers returns the running mean and variance.
func (bn *BatchNorm) Buffers() [][]float32 { return [][]float32{bn.runMean, bn.runVar} }
