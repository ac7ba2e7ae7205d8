package main

import (
	"fmt"
	"math"
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
