package gp

import (
	"math"

	"automl/search"
)

// layout maps a point of the unit-cube transform to the GP's feature
// vector: one feature per numeric parameter (its unit coordinate, after
// rounding to the parameter's own values) and one-hot features per
// categorical parameter, which share one length scale. An inactive
// parameter takes a fixed value (inactiveValue, or all-zero one-hot), so two
// points where it is inactive agree on it, and an active value never
// coincides with "inactive".
type layout struct {
	params []pgroup
	nf     int // number of features
}

// pgroup is one parameter's block of features; its index in layout.params
// is its length-scale index.
type pgroup struct {
	off, width int
	// levels of a categorical (width == levels) or of another discrete
	// parameter; 0 for a continuous one.
	levels int
	cat    bool
}

// continuous reports whether the acquisition may move the parameter by
// gradient (a float without step or grid).
func (g *pgroup) continuous() bool { return g.levels == 0 }

// inactiveValue is the imputed coordinate of an inactive numeric parameter:
// outside [0, 1], so "absent" is never confused with an active value.
const inactiveValue = -0.5

func newLayout(s *search.Space) *layout {
	l := &layout{params: make([]pgroup, s.Dim())}
	for i := range s.Params {
		p := &s.Params[i]
		g := pgroup{off: l.nf, width: 1, levels: p.Levels()}
		if p.Type == search.CategoricalParam {
			g.cat, g.width = true, g.levels
		}
		l.params[i] = g
		l.nf += g.width
	}
	return l
}

// features writes the feature vector of an encoded point (NaN: inactive).
func (l *layout) features(u []float64, out []float64) []float64 {
	if out == nil {
		out = make([]float64, l.nf)
	}
	for i, g := range l.params {
		x := u[i]
		switch {
		case g.cat:
			for k := 0; k < g.width; k++ {
				out[g.off+k] = 0
			}
			if !math.IsNaN(x) {
				out[g.off+cell(x, g.width)] = 1
			}
		case math.IsNaN(x):
			out[g.off] = inactiveValue
		default:
			out[g.off] = x
		}
	}
	return out
}

func cell(x float64, n int) int {
	i := int(x * float64(n))
	return max(0, min(i, n-1))
}

// round maps any unit-cube vector to the point it stands for and back, so
// the acquisition is evaluated where a trial would really run: integers and
// categoricals rounded, inactive parameters dropped.
func round(s *search.Space, u []float64) (search.Point, []float64) {
	p := s.Decode(u)
	return p, s.Encode(p)
}
