package gp

import "math"

// Output transforms: the GP models a monotone transform of the loss, so
// its argmin is unchanged while heavy tails (a Rosenbrock valley next to
// values of 1e5) no longer dominate the fit. The family is Box-Cox on the
// shifted loss z = y - min + d (d = 1e-3 of the spread, so z > 0):
// w = (z^λ - 1)/λ, and log z at λ = 0, then standardised. λ = 1 is plain
// standardisation; smaller λ resolve the region near the best losses when
// the rest spans orders of magnitude.
type warpKind uint8

const (
	// warpAuto fits every λ of autoLambdas and keeps the one whose model
	// explains the losses best: the largest marginal likelihood of the
	// losses themselves, i.e. including the log Jacobian of the transform
	// (a warped GP, Snelson et al. 2004).
	warpAuto warpKind = iota
	warpStandard
	warpSqrt   // λ = 1/2
	warpFourth // λ = 1/4
	warpLog    // λ = 0
)

var warpNames = map[string]warpKind{"auto": warpAuto, "standard": warpStandard, "sqrt": warpSqrt, "fourth": warpFourth, "log": warpLog}

var lambdas = map[warpKind]float64{warpStandard: 1, warpSqrt: 0.5, warpFourth: 0.25, warpLog: 0}

// autoKinds are the transforms warpAuto chooses from.
var autoKinds = []warpKind{warpStandard, warpSqrt, warpFourth, warpLog}

// warp returns the transformed, standardised losses and the log Jacobian
// of the whole transform, Σ log |dw(y_i)/dy_i|.
func warp(kind warpKind, y []float64) ([]float64, float64) {
	n := len(y)
	out := make([]float64, n)
	logJac := 0.0
	lambda, ok := lambdas[kind]
	if !ok || lambda == 1 {
		copy(out, y)
	} else {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, v := range y {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		d := 1e-3 * (hi - lo)
		if d <= 0 {
			d = 1
		}
		for i, v := range y {
			z := v - lo + d
			if lambda == 0 {
				out[i] = math.Log(z)
			} else {
				out[i] = (math.Pow(z, lambda) - 1) / lambda
			}
			logJac += (lambda - 1) * math.Log(z)
		}
	}
	sd := standardizeSD(out)
	return out, logJac - float64(n)*math.Log(sd)
}

// standardize centres y and scales it to unit variance, in place.
func standardize(y []float64) []float64 {
	standardizeSD(y)
	return y
}

// standardizeSD standardises y in place and returns the scale it divided by.
func standardizeSD(y []float64) float64 {
	n := float64(len(y))
	if n == 0 {
		return 1
	}
	mean := 0.0
	for _, v := range y {
		mean += v
	}
	mean /= n
	ss := 0.0
	for _, v := range y {
		ss += (v - mean) * (v - mean)
	}
	sd := math.Sqrt(ss / n)
	if !(sd > 1e-12*math.Max(1, math.Abs(mean))) {
		sd = 1 // all equal: a flat model, EI then follows the variance
	}
	for i, v := range y {
		y[i] = (v - mean) / sd
	}
	return sd
}
