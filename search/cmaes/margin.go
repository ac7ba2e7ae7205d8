package cmaes

import (
	"math"

	"automl/search"
)

// coord is one coordinate CMA-ES models: a numeric parameter that is
// always active. levels > 0 marks a discrete one (an int, a float with a
// step or a grid): its value is the cell of [0, 1] its coordinate falls in
// (search's unit-cube transform), cells of equal width but for log-scale
// ints, whose cells are those of ln x.
type coord struct {
	param  int
	levels int
	logInt bool
	lo, hi float64 // a log-scale int's bounds
}

// level is the discrete value a coordinate u decodes to: its cell's index
// (a log int: the integer itself).
func (c *coord) level(u float64) float64 {
	u = math.Max(0, math.Min(1, u))
	if c.logInt {
		l0, l1 := math.Log(c.lo-0.5), math.Log(c.hi+0.5)
		return math.Max(c.lo, math.Min(c.hi, math.Round(math.Exp(l0+u*(l1-l0)))))
	}
	return math.Min(float64(c.levels-1), math.Floor(u*float64(c.levels)))
}

// cell returns the bounds of the cell u falls in, and which end of the
// range it is (-1 the first cell, +1 the last, 0 inside): an end cell is
// open towards its end, so only its inner bound counts.
func (c *coord) cell(u float64) (lo, up float64, end int) {
	k := c.level(u)
	first, last := 0.0, float64(c.levels-1)
	if c.logInt {
		first, last = c.lo, c.hi
		l0, l1 := math.Log(c.lo-0.5), math.Log(c.hi+0.5)
		lo, up = (math.Log(k-0.5)-l0)/(l1-l0), (math.Log(k+0.5)-l0)/(l1-l0)
	} else {
		n := float64(c.levels)
		lo, up = k/n, (k+1)/n
	}
	switch k {
	case first:
		end = -1
	case last:
		end = 1
	}
	return lo, up, end
}

// applyMargin is the margin of CMA-ES with margin (Hamano et al., GECCO
// 2022, as the cmaes package's CMAwM implements it): after each update,
// for every discrete coordinate, the probability that a sample falls
// outside the mean's cell is kept at least alpha = 1/(nλ) (alpha/2 on
// each side of an inner cell), so a discrete coordinate never freezes on
// one value while the others are still searched. The marginal of a
// coordinate is N(m, (σ a √C_ii)²); an end cell moves the mean towards
// its inner bound, an inner cell sets the scale a and the mean so that
// each tail holds its corrected probability. σ and C are left alone: a
// only scales the discrete coordinate's step when it is encoded.
func (e *es) applyMargin(coords []coord) {
	alpha := 1 / float64(e.n*e.lambda)
	n := e.n
	for j := range coords {
		c := &coords[j]
		if c.levels < 2 {
			continue
		}
		m := e.mean[j]
		sd := e.sigma * math.Sqrt(e.c[j*n+j])
		lo, up, end := c.cell(m)
		if end != 0 {
			t := up // the first cell's inner bound
			if end > 0 {
				t = lo
			}
			s := sd * e.a[j]
			out := 1 - normCDF((t-m)/s) // the mass beyond t, towards the other cells
			if end > 0 {
				out = normCDF((t - m) / s)
			}
			if out < alpha {
				e.mean[j] = t + float64(end)*s*normPPF(1-alpha)
			}
			continue
		}
		s := sd * e.a[j]
		pLo := normCDF((lo - m) / s)
		pUp := 1 - normCDF((up-m)/s)
		mid := 1 - pLo - pUp
		pLo, pUp = math.Max(pLo, alpha/2), math.Max(pUp, alpha/2)
		excess := 1 - pLo - pUp - mid
		den := pLo + mid + pUp - 1.5*alpha
		qLo := clampP(pLo + excess*(pLo-alpha/2)/den)
		qUp := clampP(pUp + excess*(pUp-alpha/2)/den)
		zLo, zUp := normPPF(1-qLo), normPPF(1-qUp)
		e.a[j] = (up - lo) / ((zLo + zUp) * sd)
		e.mean[j] = (lo*zUp + up*zLo) / (zLo + zUp)
	}
}

func clampP(p float64) float64 { return math.Max(1e-10, math.Min(0.5-1e-10, p)) }

// encodeDiscrete turns a draw x into the coordinates decoded into a point:
// a discrete coordinate's step from the mean is scaled by its margin
// scale a; continuous ones are x itself.
func (e *es) encodeDiscrete(x []float64, coords []coord) []float64 {
	out := make([]float64, len(x))
	for j := range x {
		out[j] = x[j]
		if coords[j].levels > 0 {
			out[j] = e.mean[j] + e.a[j]*(x[j]-e.mean[j])
		}
	}
	return out
}

// coordsOf lists the coordinates CMA-ES models in a space: every int and
// float parameter without a `when` that takes more than one value.
// Categorical and conditional parameters go to the independent sampler.
func coordsOf(space *search.Space) []coord {
	var out []coord
	for i := range space.Params {
		p := &space.Params[i]
		if p.Type == search.CategoricalParam || len(p.When) > 0 {
			continue
		}
		levels := p.Levels()
		if levels == 1 {
			continue
		}
		c := coord{param: i, levels: levels}
		if p.Type == search.IntParam && p.Log && len(p.Grid) == 0 {
			c.logInt, c.lo, c.hi = true, p.Low, p.High
		}
		out = append(out, c)
	}
	return out
}
