package nn

import (
	"fmt"
	"math"
)

// Loss is a training objective computed from the network's raw outputs
// (logits for classification), averaged over the batch.
type Loss uint8

const (
	// BinaryCrossEntropy: one logit z per row, target 0 or 1;
	// l = max(z,0) - z*y + log(1+e^-|z|).
	BinaryCrossEntropy Loss = iota + 1
	// CrossEntropy: one logit per class, target the class index;
	// l = logsumexp(z) - z_y.
	CrossEntropy
	// MSE: mean of (z-y)².
	MSE
	// Huber: 0.5 d² for |d| <= delta, delta(|d| - 0.5 delta) beyond.
	Huber
)

func (l Loss) String() string {
	switch l {
	case BinaryCrossEntropy:
		return "binary_cross_entropy"
	case CrossEntropy:
		return "cross_entropy"
	case MSE:
		return "mse"
	case Huber:
		return "huber"
	}
	return fmt.Sprintf("loss(%d)", uint8(l))
}

// LossFunc is a loss with its settings.
type LossFunc struct {
	Kind  Loss
	Delta float64 // Huber's threshold
	// Smooth is the label smoothing of the classification losses: the
	// target becomes (1-Smooth) on the true class plus Smooth spread
	// evenly over all classes (binary: y(1-Smooth) + Smooth/2).
	Smooth float64
}

// Eval returns the mean loss of outputs z (one row per sample) against
// targets y (class index or value), and when dz is non-nil writes the
// gradient of that mean with respect to z into it. The sum runs in row
// order in float64.
func (f LossFunc) Eval(z *Mat, y []float32, dz *Mat) float64 {
	if z.R == 0 {
		return 0
	}
	inv := 1 / float64(z.R)
	var sum float64
	switch f.Kind {
	case BinaryCrossEntropy:
		for i := 0; i < z.R; i++ {
			v, t := float64(z.D[i*z.C]), float64(y[i])
			t = t*(1-f.Smooth) + f.Smooth/2
			sum += math.Max(v, 0) - v*t + math.Log1p(math.Exp(-math.Abs(v)))
			if dz != nil {
				dz.D[i*z.C] = float32((sigmoid(v) - t) * inv)
			}
		}
	case CrossEntropy:
		for i := 0; i < z.R; i++ {
			row := z.Row(i)
			m := math.Inf(-1)
			for _, v := range row {
				m = math.Max(m, float64(v))
			}
			var s float64
			for _, v := range row {
				s += math.Exp(float64(v) - m)
			}
			lse := m + math.Log(s)
			c := int(y[i])
			// target q: (1-Smooth) on c, Smooth/K on each class
			even := f.Smooth / float64(len(row))
			var zq float64
			for j, v := range row {
				q := even
				if j == c {
					q += 1 - f.Smooth
				}
				zq += q * float64(v)
			}
			sum += lse - zq
			if dz != nil {
				dr := dz.Row(i)
				for j, v := range row {
					p := math.Exp(float64(v)-lse) - even
					if j == c {
						p -= 1 - f.Smooth
					}
					dr[j] = float32(p * inv)
				}
			}
		}
	case MSE:
		for i := 0; i < z.R; i++ {
			d := float64(z.D[i*z.C]) - float64(y[i])
			sum += d * d
			if dz != nil {
				dz.D[i*z.C] = float32(2 * d * inv)
			}
		}
	case Huber:
		for i := 0; i < z.R; i++ {
			d := float64(z.D[i*z.C]) - float64(y[i])
			g := d
			if math.Abs(d) <= f.Delta {
				sum += 0.5 * d * d
			} else {
				sum += f.Delta * (math.Abs(d) - 0.5*f.Delta)
				g = math.Copysign(f.Delta, d)
			}
			if dz != nil {
				dz.D[i*z.C] = float32(g * inv)
			}
		}
	}
	return sum * inv
}
