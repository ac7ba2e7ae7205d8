package nsga2

import (
	"math"
	"math/rand/v2"

	"automl/search"
)

// kindsOf says, for each parameter, whether it is categorical (uniform
// crossover, mutation by a new draw) rather than numeric (SBX and
// polynomial mutation in the cube: floats, ints, stepped floats, grids).
func kindsOf(space *search.Space) []bool {
	cat := make([]bool, space.Dim())
	for i := range space.Params {
		cat[i] = space.Params[i].Type == search.CategoricalParam
	}
	return cat
}

// child makes one child of the parents a and b (unit-cube points, NaN
// where inactive): crossover with probability crossoverProb (else a copy
// of a), mutation, and a uniform draw for every coordinate the child's
// values activate that neither parent gave.
func child(space *search.Space, cat []bool, a, b []float64, rng *rand.Rand) []float64 {
	u := make([]float64, len(a))
	cross := rng.Float64() < crossoverProb
	for i := range u {
		x, y := a[i], b[i]
		switch {
		case !cross:
			u[i] = x
		case math.IsNaN(x) || math.IsNaN(y) || cat[i]:
			// uniform crossover: the activity pattern and categorical
			// choices come from either parent
			u[i] = x
			if rng.Float64() < 0.5 {
				u[i] = y
			}
		case rng.Float64() < swapProb:
			u[i] = sbx(x, y, rng)
		default:
			u[i] = x
		}
	}
	pm := 1 / float64(len(u))
	for i, x := range u {
		if math.IsNaN(x) || rng.Float64() >= pm {
			continue
		}
		if cat[i] {
			u[i] = rng.Float64()
		} else {
			u[i] = polynomialMutation(x, rng)
		}
	}
	fillActivated(space, u, rng)
	return u
}

// fillActivated draws uniformly each coordinate that is active in the
// point u decodes to but has no value (NaN), until none is left (a drawn
// parent may activate children of its own).
func fillActivated(space *search.Space, u []float64, rng *rand.Rand) {
	for range len(u) + 1 {
		act := space.Active(space.Decode(u))
		filled := false
		for i, on := range act {
			if on && math.IsNaN(u[i]) {
				u[i], filled = rng.Float64(), true
			}
		}
		if !filled {
			return
		}
	}
}

// sbx is one child of simulated binary crossover (Deb and Agrawal, 1995)
// of x and y in [0, 1], bounded as in Deb's NSGA-II code: each of the two
// children's spread follows the distribution of index etaCrossover cut at
// the bound on its side, and one of the two is returned at random.
func sbx(x, y float64, rng *rand.Rand) float64 {
	if math.Abs(x-y) < 1e-14 {
		return x
	}
	y1, y2 := min(x, y), max(x, y)
	d := y2 - y1
	spread := func(beta float64) float64 {
		alpha := 2 - math.Pow(beta, -(etaCrossover+1))
		r := rng.Float64()
		if r <= 1/alpha {
			return math.Pow(r*alpha, 1.0/(etaCrossover+1))
		}
		return math.Pow(1/(2-r*alpha), 1.0/(etaCrossover+1))
	}
	c1 := 0.5 * (y1 + y2 - spread(1+2*y1/d)*d)
	c2 := 0.5 * (y1 + y2 + spread(1+2*(1-y2)/d)*d)
	if rng.Float64() < 0.5 {
		c1 = c2
	}
	return clamp01(c1)
}

// polynomialMutation moves x in [0, 1] by Deb's bounded polynomial
// mutation of index etaMutation.
func polynomialMutation(x float64, rng *rand.Rand) float64 {
	const pow = 1.0 / (etaMutation + 1)
	r := rng.Float64()
	var dq float64
	if r < 0.5 {
		xy := 1 - x // 1 - delta1, delta1 = x the distance to the lower bound
		val := 2*r + (1-2*r)*math.Pow(xy, etaMutation+1)
		dq = math.Pow(val, pow) - 1
	} else {
		xy := x // 1 - delta2, delta2 = 1-x the distance to the upper bound
		val := 2*(1-r) + 2*(r-0.5)*math.Pow(xy, etaMutation+1)
		dq = 1 - math.Pow(val, pow)
	}
	return clamp01(x + dq)
}

func clamp01(x float64) float64 { return math.Max(0, math.Min(1, x)) }
