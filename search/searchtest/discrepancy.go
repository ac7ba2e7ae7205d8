package searchtest

import "math"

// CenteredL2 is Hickernell's centred L2 discrepancy of points in the unit
// cube (squared, as SciPy's qmc.discrepancy(method="CD") returns it),
// computed exactly by its closed form in O(n² d). Lower is more uniform.
func CenteredL2(x [][]float64) float64 {
	n := len(x)
	if n == 0 {
		return math.NaN()
	}
	d := len(x[0])
	sum1 := 0.0
	for _, p := range x {
		prod := 1.0
		for _, v := range p {
			a := math.Abs(v - 0.5)
			prod *= 1 + a/2 - a*a/2
		}
		sum1 += prod
	}
	sum2 := 0.0
	for _, p := range x {
		for _, q := range x {
			prod := 1.0
			for k := range d {
				prod *= 1 + math.Abs(p[k]-0.5)/2 + math.Abs(q[k]-0.5)/2 - math.Abs(p[k]-q[k])/2
			}
			sum2 += prod
		}
	}
	nf := float64(n)
	return math.Pow(13.0/12, float64(d)) - 2/nf*sum1 + sum2/(nf*nf)
}

// StarL2 is the L2-star discrepancy (squared, Warnock's closed form).
func StarL2(x [][]float64) float64 {
	n := len(x)
	if n == 0 {
		return math.NaN()
	}
	d := len(x[0])
	sum1 := 0.0
	for _, p := range x {
		prod := 1.0
		for _, v := range p {
			prod *= 1 - v*v
		}
		sum1 += prod
	}
	sum2 := 0.0
	for _, p := range x {
		for _, q := range x {
			prod := 1.0
			for k := range d {
				prod *= 1 - math.Max(p[k], q[k])
			}
			sum2 += prod
		}
	}
	nf := float64(n)
	return math.Pow(3, -float64(d)) - math.Pow(2, 1-float64(d))/nf*sum1 + sum2/(nf*nf)
}
