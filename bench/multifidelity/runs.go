package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// run is one study's progress: the epochs it trained and, at each
// improvement, the epochs trained so far and the best validation score
// then (every reported epoch counts as a score).
type run struct {
	method  string
	seed    int
	epochs  float64
	at, val []float64
	best    float64
	note    string
}

// epochsTo is the epochs trained when the best score first reached target.
func (r run) epochsTo(t task, target float64) float64 {
	for i, v := range r.val {
		if t.reached(v, target) {
			return r.at[i]
		}
	}
	return math.Inf(1)
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	switch {
	case n == 0:
		return math.NaN()
	case n%2 == 1:
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func epochs(e float64) string {
	if math.IsInf(e, 1) || math.IsNaN(e) {
		return "not reached"
	}
	return fmt.Sprintf("%.0f", e)
}

// ratio writes e/ref as 1/x (x > 1: e needs x times fewer epochs). A
// reference that did not reach the target needed more than budget: the
// ratio is then at most e/budget, written "<1/x".
func ratio(e, ref, budget float64) string {
	switch {
	case math.IsInf(e, 0) || math.IsNaN(e) || math.IsNaN(ref) || e <= 0:
		return "-"
	case math.IsInf(ref, 1):
		return fmt.Sprintf("<1/%.2f", budget/e)
	}
	return fmt.Sprintf("1/%.2f", ref/e)
}

// bootstrapDraws is how many resamples factorInterval draws.
const bootstrapDraws = 2000

// factorInterval is a bootstrap interval of the factor median(ref) /
// median(method): how many times fewer epochs the method needs. Each draw
// resamples each side's seeds with replacement, independently, and the
// interval holds the middle share `mass` of the draws. Our methods share
// their random draws per seed, so a paired resample would be narrower;
// the independent one is the conservative choice. A run that did not
// reach the target counts as infinitely many epochs, so a bound can be
// 0 or +Inf. The draws use a fixed seed: the same runs, the same interval.
func factorInterval(method, ref []float64, mass float64) (lo, hi float64) {
	if len(method) == 0 || len(ref) == 0 {
		return math.NaN(), math.NaN()
	}
	rng := rand.New(rand.NewPCG(7, 11))
	fs := make([]float64, bootstrapDraws)
	a, b := make([]float64, len(method)), make([]float64, len(ref))
	for i := range fs {
		for j := range a {
			a[j] = method[rng.IntN(len(method))]
		}
		for j := range b {
			b[j] = ref[rng.IntN(len(ref))]
		}
		ma, mb := median(a), median(b)
		switch {
		case math.IsInf(ma, 1) && math.IsInf(mb, 1):
			fs[i] = math.NaN() // neither reached: no information
		case math.IsInf(ma, 1):
			fs[i] = 0
		default:
			fs[i] = mb / ma
		}
	}
	known := fs[:0]
	for _, f := range fs {
		if !math.IsNaN(f) {
			known = append(known, f)
		}
	}
	if len(known) == 0 {
		return math.NaN(), math.NaN()
	}
	sort.Float64s(known)
	tail := (1 - mass) / 2
	at := func(q float64) float64 { return known[min(len(known)-1, int(q*float64(len(known))))] }
	return at(tail), at(1 - tail)
}

// factor writes a speed-up factor x (the method needs 1/x of the epochs).
func factor(x float64) string {
	switch {
	case math.IsNaN(x):
		return "?"
	case math.IsInf(x, 1):
		return "inf"
	}
	return fmt.Sprintf("%.2f", x)
}
