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
