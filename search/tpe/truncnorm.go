package tpe

import (
	"math"
	"math/rand/v2"
)

// Standard normal helpers, accurate in both tails.

const invSqrt2 = 1 / math.Sqrt2

// phiCDF is Φ(z).
func phiCDF(z float64) float64 { return 0.5 * math.Erfc(-z*invSqrt2) }

// gaussMass is Φ(b) - Φ(a) for a <= b, computed on the side of zero where
// it does not cancel.
func gaussMass(a, b float64) float64 {
	switch {
	case a >= 0:
		return 0.5 * (math.Erfc(a*invSqrt2) - math.Erfc(b*invSqrt2))
	case b <= 0:
		return 0.5 * (math.Erfc(-b*invSqrt2) - math.Erfc(-a*invSqrt2))
	}
	return 1 - 0.5*math.Erfc(-a*invSqrt2) - 0.5*math.Erfc(b*invSqrt2)
}

// truncNormal draws from N(mu, sigma) truncated to [lo, hi] by inverting
// the CDF on the tail that keeps precision.
func truncNormal(rng *rand.Rand, mu, sigma, lo, hi float64) float64 {
	a, b := (lo-mu)/sigma, (hi-mu)/sigma
	r := rng.Float64()
	var z float64
	switch {
	case a >= 0: // both bounds in the upper tail: work with Q = 1 - Φ
		qa, qb := 0.5*math.Erfc(a*invSqrt2), 0.5*math.Erfc(b*invSqrt2)
		q := qb + r*(qa-qb)
		z = math.Sqrt2 * math.Erfcinv(2*q)
	case b <= 0:
		pa, pb := 0.5*math.Erfc(-a*invSqrt2), 0.5*math.Erfc(-b*invSqrt2)
		p := pa + r*(pb-pa)
		z = -math.Sqrt2 * math.Erfcinv(2*p)
	default:
		pa, pb := phiCDF(a), phiCDF(b)
		p := pa + r*(pb-pa)
		if p > 0.5 {
			z = math.Sqrt2 * math.Erfcinv(2*(1-p))
		} else {
			z = -math.Sqrt2 * math.Erfcinv(2*p)
		}
	}
	x := mu + sigma*z
	if math.IsNaN(x) || math.IsInf(x, 0) {
		// The interval is so far in a tail that nothing is representable:
		// its nearest end is the right answer to within rounding.
		x = math.Max(lo, math.Min(hi, mu))
	}
	return math.Max(lo, math.Min(hi, x))
}
