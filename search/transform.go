package search

import (
	"math"

	"automl/search/value"
)

// The unit-cube transform: every parameter is one coordinate in [0, 1], so
// samplers work on plain vectors and never switch on parameter types.
//
//   float, linear:   u = (x - low) / (high - low)
//   float, log:      u = (ln x - ln low) / (ln high - ln low)
//   int, or float with a step: the n values low + k*step split [0, 1] into
//                    n equal cells; value k -> (k+0.5)/n, so uniform u gives
//                    every value the same chance (low and high included)
//   int, log:        cells of equal width in log space over [low-0.5, high+0.5];
//                    a value encodes to its own log
//   categorical:     k choices split [0, 1] into k cells; choice i -> (i+0.5)/k
//   explicit grid:   like a categorical over the grid values
//
// Decode(Encode(p)) == p for every point of the space (continuous floats
// within rounding; low and high exactly); Encode(Decode(u)) lands in the
// same cell as u.

// Encode maps a point to the unit cube. Inactive parameters encode to NaN.
func (s *Space) Encode(p Point) []float64 {
	u := make([]float64, len(s.Params))
	for i := range s.Params {
		if i >= len(p) || p[i].IsAbsent() {
			u[i] = math.NaN()
			continue
		}
		u[i] = s.Params[i].encode(p[i])
	}
	return u
}

// Decode maps a unit-cube vector to a point of the space. Coordinates outside
// [0, 1] are clamped; parameters whose conditions do not hold are Absent,
// whatever their coordinate (NaN included).
func (s *Space) Decode(u []float64) Point {
	p := make(Point, len(s.Params))
	act := make([]bool, len(s.Params))
	for _, i := range s.order {
		if !s.conditionsHold(i, p, act) {
			continue
		}
		act[i] = true
		x := 0.5
		if i < len(u) && !math.IsNaN(u[i]) {
			x = u[i]
		}
		p[i] = s.Params[i].decode(clamp01(x))
	}
	return p
}

// Levels is the number of distinct values a parameter takes, or 0 when it is
// continuous. Samplers that need a discrete view (grid, TPE) use it.
func (p *Param) Levels() int {
	switch {
	case p.Type == CategoricalParam:
		return len(p.Choices)
	case len(p.Grid) > 0:
		return len(p.Grid)
	case p.Type == IntParam && p.Log:
		return int(p.High-p.Low) + 1
	case p.step() > 0:
		return int(math.Round((p.High-p.Low)/p.step())) + 1
	}
	return 0
}

// stepped reports whether the parameter takes the values low + k*step on a
// linear scale (ints and floats with a step).
func (p *Param) stepped() bool { return !p.Log && p.step() > 0 }

func (p *Param) step() float64 {
	if p.Step > 0 {
		return p.Step
	}
	if p.Type == IntParam {
		return 1
	}
	return 0
}

func (p *Param) encode(v value.Value) float64 {
	if p.Type == CategoricalParam {
		return cellCentre(p.choiceIndex(v), len(p.Choices))
	}
	if len(p.Grid) > 0 {
		for i, g := range p.Grid {
			if g.Equal(v) {
				return cellCentre(i, len(p.Grid))
			}
		}
		return 0.5
	}
	x, _ := v.Float()
	if p.stepped() {
		n := p.Levels()
		k := math.Round((x - p.Low) / p.step())
		return cellCentre(int(math.Max(0, math.Min(float64(n-1), k))), n)
	}
	lo, hi := p.Low, p.High
	if p.Type == IntParam { // log int
		lo, hi = lo-0.5, hi+0.5
	}
	if p.Log {
		return clamp01((math.Log(x) - math.Log(lo)) / (math.Log(hi) - math.Log(lo)))
	}
	return clamp01((x - lo) / (hi - lo))
}

func (p *Param) decode(u float64) value.Value {
	switch {
	case p.Type == CategoricalParam:
		return p.Choices[cell(u, len(p.Choices))]
	case len(p.Grid) > 0:
		return p.Grid[cell(u, len(p.Grid))]
	}
	var x float64
	switch {
	case p.stepped():
		// Index arithmetic, not a rounded real, so every value has an
		// equal cell and the last one is exactly high.
		n := p.Levels()
		k := cell(u, n)
		x = p.Low + float64(k)*p.step()
		if k == n-1 {
			x = p.High
		}
	case u <= 0:
		x = p.Low
	case u >= 1:
		x = p.High
	case p.Type == IntParam: // log int
		lo, hi := math.Log(p.Low-0.5), math.Log(p.High+0.5)
		x = math.Round(math.Exp(lo + u*(hi-lo)))
	case p.Log:
		lo, hi := math.Log(p.Low), math.Log(p.High)
		x = math.Exp(lo + u*(hi-lo))
	default:
		x = p.Low + u*(p.High-p.Low)
	}
	x = math.Max(p.Low, math.Min(p.High, x))
	if p.Type == IntParam {
		return value.Int(int64(x))
	}
	return value.Float(x)
}

// cell maps u in [0, 1] to one of n equal cells.
func cell(u float64, n int) int {
	i := int(u * float64(n))
	if i >= n {
		i = n - 1
	}
	if i < 0 {
		i = 0
	}
	return i
}

func cellCentre(i, n int) float64 {
	if i < 0 {
		return 0.5
	}
	return (float64(i) + 0.5) / float64(n)
}

func clamp01(x float64) float64 {
	if x < 0 {
		return 0
	}
	if x > 1 {
		return 1
	}
	return x
}
