package fidelitytest

import (
	"math"

	"automl/search"
)

// Curve is the loss of point p after r units of resource:
//
//	f(u) + (0.5 + u0) * exp(-r / (1 + 6*u_last))
//
// over the point's unit-cube coordinates u (inactive ones at 0.5), where
// f(u) = sum_i (u_i - Optimum(i))^2. Curves cross (a slow learner, large
// u_last, can end better than a fast one), and the best configuration at
// any large budget is u = Optimum, with f = 0.
func Curve(space *search.Space, p search.Point, r float64) float64 {
	u := space.Encode(p)
	f := 0.0
	for i, v := range u {
		if math.IsNaN(v) {
			v = 0.5
			u[i] = v
		}
		d := v - Optimum(i)
		f += d * d
	}
	if len(u) == 0 {
		return 0
	}
	return f + (0.5+u[0])*math.Exp(-r/(1+6*u[len(u)-1]))
}

// Optimum is the best unit-cube coordinate of parameter i.
func Optimum(i int) float64 {
	x := float64(i) * 0.6180339887
	return 0.25 + 0.5*(x-math.Floor(x))
}
