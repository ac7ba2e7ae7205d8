package fidelity

import "math"

// Bracket is one successive-halving run of Hyperband: N[i] configurations
// are trained to resource R[i] at rung i, and the best N[i+1] of them go on.
// S is Li et al.'s s (the number of halvings, len(R)-1).
type Bracket struct {
	S int
	N []int
	R []float64
}

// maxHalvings bounds s_max so absurd ratios cannot overflow; Read refuses
// options whose brackets exceed 10^9 configurations long before.
const maxHalvings = 40

// SMax is Li et al.'s s_max = floor(log_eta(max/min)): the number of
// halvings of the most exploratory bracket.
func SMax(min, max float64, eta int) int {
	if !(min > 0) || !(max >= min) || eta < 2 {
		return 0
	}
	// The tolerance keeps exact powers (81/1 with eta 3) from rounding down.
	s := math.Floor(math.Log(max/min)/math.Log(float64(eta)) + 1e-9)
	return int(math.Min(s, maxHalvings))
}

// Hyperband returns the brackets of Li et al. (2018), Algorithm 1, most
// exploratory first (s = s_max down to 0), with R measured in the study's
// resource: R = max/min and the paper's r_i = R*eta^(i-s) become
// max*eta^(i-s). n = ceil((s_max+1)/(s+1) * eta^s) and n_i = floor(n/eta^i)
// are computed in integers, so R = 81, eta = 3 gives the paper's table.
// Resources are rounded to whole units when min and max are whole (epochs).
func Hyperband(min, max float64, eta int) []Bracket {
	smax := SMax(min, max, eta)
	whole := isWhole(min) && isWhole(max)
	out := make([]Bracket, 0, smax+1)
	for s := smax; s >= 0; s-- {
		n := ceilDiv((smax+1)*pow(eta, s), s+1)
		b := Bracket{S: s, N: make([]int, s+1), R: make([]float64, s+1)}
		for i := 0; i <= s; i++ {
			b.N[i] = n / pow(eta, i)
			b.R[i] = roundResource(max*math.Pow(float64(eta), float64(i-s)), whole)
		}
		out = append(out, b)
	}
	return out
}

// Rungs is the ladder of asynchronous successive halving from base: base,
// base*eta, base*eta^2, ... while below max, then max itself (so the top
// rung is always the full budget, as in Hyperband).
func Rungs(base, max float64, eta int) []float64 {
	whole := isWhole(base) && isWhole(max)
	var out []float64
	for r := base; r < max*(1-1e-9); r *= float64(eta) {
		out = append(out, roundResource(r, whole))
	}
	return append(out, max)
}

func roundResource(r float64, whole bool) float64 {
	if !whole {
		return r
	}
	return math.Max(1, math.Round(r))
}

func isWhole(x float64) bool { return x == math.Trunc(x) }

func pow(b, e int) int {
	out := 1
	for ; e > 0; e-- {
		out *= b
	}
	return out
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }
