package tpe

import (
	"math"
	"sort"

	"automl/search"
	"automl/search/value"
)

// A dim is how TPE sees one parameter of the unit-cube transform:
//
//   - continuous: the unit coordinate itself (floats, and log-scale ints,
//     which Optuna too models in log space and rounds);
//   - ordinal: n ordered levels (linear ints, stepped floats, explicit
//     grids), modelled in index space t = (i+0.5)/n with cells of width 1/n,
//     which is Optuna's discrete truncated normal on [low-q/2, high+q/2];
//   - categorical: k unordered choices.
type dim struct {
	kind   dimKind
	levels int       // ordinal and categorical
	coords []float64 // ordinal: the unit coordinate of each level (ascending)
}

type dimKind uint8

const (
	continuous dimKind = iota
	ordinal
	categorical
)

// maxOrdinalLevels bounds the level table; a finer int is modelled as
// continuous, which differs from the exact discrete model by under 1/n.
const maxOrdinalLevels = 1 << 14

func dimsOf(s *search.Space) []dim {
	ds := make([]dim, s.Dim())
	for i := range s.Params {
		p := &s.Params[i]
		n := p.Levels()
		switch {
		case p.Type == search.CategoricalParam:
			ds[i] = dim{kind: categorical, levels: n}
		case n > 1 && n <= maxOrdinalLevels && !p.Log:
			ds[i] = dim{kind: ordinal, levels: n, coords: levelCoords(s, i, n)}
		default:
			ds[i] = dim{kind: continuous}
		}
	}
	return ds
}

// levelCoords encodes each level's value through the space's own transform,
// so TPE never needs to know how the transform places them.
func levelCoords(s *search.Space, i, n int) []float64 {
	p := &s.Params[i]
	pt := make(search.Point, s.Dim())
	out := make([]float64, n)
	for k := range out {
		switch {
		case len(p.Grid) > 0:
			pt[i] = p.Grid[k]
		default:
			step := p.Step
			if step <= 0 {
				step = 1
			}
			x := math.Min(p.Low+float64(k)*step, p.High)
			if p.Type == search.IntParam {
				pt[i] = value.Int(int64(math.Round(x)))
			} else {
				pt[i] = value.Float(x)
			}
		}
		out[k] = s.Encode(pt)[i]
	}
	return out
}

// toModel maps a unit coordinate (NaN: inactive) to the model's
// coordinate: u for continuous, t = (i+0.5)/n for ordinal, the choice
// index for categorical.
func (d *dim) toModel(u float64) float64 {
	if math.IsNaN(u) {
		return u
	}
	switch d.kind {
	case ordinal:
		return (float64(d.nearest(u)) + 0.5) / float64(d.levels)
	case categorical:
		return float64(cell(u, d.levels))
	}
	return u
}

// toUnit maps a model coordinate back to the unit cube.
func (d *dim) toUnit(x float64) float64 {
	switch d.kind {
	case ordinal:
		return d.coords[cell(x, d.levels)]
	case categorical:
		return (x + 0.5) / float64(d.levels)
	}
	return x
}

// nearest is the level whose coordinate is closest to u.
func (d *dim) nearest(u float64) int {
	c := d.coords
	i := sort.SearchFloat64s(c, u)
	switch {
	case i == 0:
		return 0
	case i == len(c):
		return len(c) - 1
	case u-c[i-1] <= c[i]-u:
		return i - 1
	}
	return i
}

func cell(x float64, n int) int {
	i := int(x * float64(n))
	return max(0, min(i, n-1))
}
