package gp

import "math"

// Log expected improvement (for minimisation), numerically stable far
// from the incumbent, after Ament et al. (2023), "Unexpected improvements
// to expected improvement":
//
//	EI(x) = σ h(z),  z = (best - μ)/σ,  h(z) = φ(z) + z Φ(z)
//
// For z well below zero EI underflows although its logarithm is a perfectly
// good, informative number; log h is computed through the scaled
// complementary error function instead, and by its asymptotic series
// beyond |z| = 30.

var (
	logSqrt2Pi = 0.5 * math.Log(2*math.Pi)
	sqrtHalfPi = math.Sqrt(math.Pi / 2)
)

// logH returns log h(z) and d log h / dz.
func logH(z float64) (float64, float64) {
	switch {
	case z > -1:
		phi := math.Exp(-0.5*z*z) / math.Sqrt(2*math.Pi)
		cdf := 0.5 * math.Erfc(-z/math.Sqrt2)
		h := phi + z*cdf
		return math.Log(h), cdf / h
	case z > -30:
		// h = φ(z) (1 + z R(z)), R = Φ/φ = √(π/2) erfcx(-z/√2).
		r := sqrtHalfPi * math.Exp(0.5*z*z) * math.Erfc(-z/math.Sqrt2)
		q := 1 + z*r
		return -0.5*z*z - logSqrt2Pi + math.Log(q), r / q
	}
	// 1 + zR = z⁻² - 3z⁻⁴ + 15z⁻⁶ - 105z⁻⁸ + ...; R = -z⁻¹ + z⁻³ - 3z⁻⁵ + 15z⁻⁷ - ...
	w := 1 / (z * z)
	q := w * (1 - w*(3-w*(15-w*105)))
	r := -(1 - w*(1-w*(3-w*15))) / z
	return -0.5*z*z - logSqrt2Pi + math.Log(q), r / q
}

// logEI returns log EI at posterior mean mu and standard deviation sd.
func logEI(mu, sd, best float64) float64 {
	lh, _ := logH((best - mu) / sd)
	return math.Log(sd) + lh
}

// logPhi returns log Φ(z) and d log Φ / dz = φ(z)/Φ(z), stable for very
// negative z (the asymptotic series beyond |z| = 30, as logH).
func logPhi(z float64) (float64, float64) {
	if z > -30 {
		lp := math.Log(0.5 * math.Erfc(-z/math.Sqrt2))
		return lp, math.Exp(-0.5*z*z - logSqrt2Pi - lp)
	}
	// Φ(z) = φ(z)/(-z) (1 - z⁻² + 3z⁻⁴ - 15z⁻⁶ + ...)
	w := 1 / (z * z)
	s := 1 - w*(1-w*(3-w*15))
	lp := -0.5*z*z - logSqrt2Pi - math.Log(-z) + math.Log(s)
	return lp, -z / s
}

// acquisition is what a candidate is scored by: log EI of the objective's
// GP plus, under constraints, the log probability of feasibility of each
// constraint's GP (goals.go); noEI: no feasible observation yet, so
// feasibility alone.
type acquisition struct {
	obj  *posterior
	cons []*posterior
	thr  []float64 // each constraint's standardised threshold
	noEI bool
	mo   *moAcq // several objectives: log EHVI replaces log EI (ehvi.go)
}

// addFantasy conditions every GP on a pending point.
func (a *acquisition) addFantasy(f []float64) {
	a.obj.addFantasy(f)
	if a.mo != nil {
		for _, o := range a.mo.objs[1:] {
			o.addFantasy(f)
		}
	}
	for _, c := range a.cons {
		c.addFantasy(f)
	}
}

// score sets each candidate's acquisition value.
func (a *acquisition) score(cs []cand) {
	fs := make([][]float64, len(cs))
	for i := range cs {
		fs[i] = cs[i].f
	}
	switch {
	case a.mo != nil:
		a.mo.score(cs)
	case a.noEI:
		for i := range cs {
			cs[i].score = 0
		}
	default:
		mu, sd := a.obj.predict(fs)
		for i := range cs {
			cs[i].score = logEI(mu[i], sd[i], a.obj.best)
		}
	}
	for j, c := range a.cons {
		mu, sd := c.predict(fs)
		for i := range cs {
			lp, _ := logPhi((a.thr[j] - mu[i]) / sd[i])
			cs[i].score += lp
		}
	}
}

// valueGrad returns the acquisition at x and its gradient with respect to
// the features listed in vars (written into grad).
func (a *acquisition) valueGrad(x []float64, vars []int, grad []float64) float64 {
	val := 0.0
	switch {
	case a.mo != nil:
		val = a.mo.valueGrad(x, vars, grad)
	case a.noEI:
		clear(grad)
	default:
		val = a.obj.logEIGrad(x, vars, grad)
	}
	if len(a.cons) == 0 {
		return val
	}
	dmu, dsd := make([]float64, len(vars)), make([]float64, len(vars))
	for j, c := range a.cons {
		mu, sd := c.meanSDGrad(x, vars, dmu, dsd)
		z := (a.thr[j] - mu) / sd
		lp, dlp := logPhi(z)
		val += lp
		for v := range vars {
			grad[v] += dlp * (-dmu[v] - z*dsd[v]) / sd
		}
	}
	return val
}
