package grid

import (
	"fmt"
	"math"
	"strconv"

	"automl/search"
	"automl/search/value"
)

// levelSet is the values a parameter takes in the grid, in order: a list,
// or an arithmetic range computed on demand (an int range can be long, and
// a grid of ten million points should not hold ten million Values per
// parameter).
type levelSet struct {
	list []value.Value
	// when list is nil: n values low, low+step, ... of prm
	prm       *search.Param
	n         int
	low, step float64
}

func (ls levelSet) len() int {
	if ls.list != nil {
		return len(ls.list)
	}
	return ls.n
}

func (ls levelSet) at(l int) value.Value {
	if ls.list != nil {
		return ls.list[l]
	}
	return levelValue(ls.prm, ls.low+float64(l)*ls.step)
}

// index returns the level equal to v, or -1.
func (ls levelSet) index(v value.Value) int {
	if ls.list == nil {
		x, ok := v.Float()
		if !ok || v.Kind() == value.BoolValue {
			return -1
		}
		l := int(math.Round((x - ls.low) / ls.step))
		if l >= 0 && l < ls.n && ls.at(l).Equal(v) {
			return l
		}
		return -1
	}
	for l, w := range ls.list {
		if w.Equal(v) {
			return l
		}
	}
	return -1
}

// levels returns the values a parameter takes in the grid: categorical
// choices; an explicit grid; points: N evenly spaced values (in log space
// when log: true, snapped to the step of an int); every allowed value of an
// int or of a float with a step. A continuous float with none of these has
// no grid: the error says what to add.
func levels(space *search.Space, prm *search.Param) (levelSet, error) {
	switch {
	case prm.Type == search.CategoricalParam:
		return levelSet{list: prm.Choices}, nil
	case len(prm.Grid) > 0:
		return levelSet{list: prm.Grid}, nil
	case prm.Points > MaxPoints: // spaced would hold them all first
		return levelSet{}, &search.ParamError{Param: prm.Name, Msg: fmt.Sprintf("points: %d is more than a grid can hold (%d)", prm.Points, MaxPoints)}
	case prm.Points > 0:
		return levelSet{list: spaced(prm)}, nil
	case prm.Type == search.IntParam || prm.Step > 0:
		n := prm.Levels()
		if n > MaxPoints {
			return levelSet{}, &search.ParamError{Param: prm.Name, Msg: fmt.Sprintf("takes %d values, more than a grid can hold (%d); give points: N or a coarser step", n, MaxPoints)}
		}
		step := prm.Step
		if prm.Log || step <= 0 { // a log-scale int takes every integer
			step = 1
		}
		return levelSet{prm: prm, n: n, low: prm.Low, step: step}, nil
	}
	return levelSet{}, &search.ParamError{Param: prm.Name, Msg: "grid search needs the values of a continuous float: add grid: [...] or points: N (or a step)"}
}

// spaced returns points: N evenly spaced values from low to high (in log
// space when log: true). Ints and stepped floats snap to their allowed
// values; values that snap together are kept once.
func spaced(prm *search.Param) []value.Value {
	n := prm.Points
	out := make([]value.Value, 0, n)
	for k := 0; k < n; k++ {
		t := float64(k) / float64(n-1)
		var x float64
		switch {
		case k == 0:
			x = prm.Low
		case k == n-1:
			x = prm.High
		case prm.Log:
			x = math.Exp(math.Log(prm.Low) + t*(math.Log(prm.High)-math.Log(prm.Low)))
		default:
			x = prm.Low + t*(prm.High-prm.Low)
		}
		if st := prm.Step; st > 0 && !prm.Log {
			x = prm.Low + math.Round((x-prm.Low)/st)*st
		}
		if prm.Type == search.IntParam {
			x = math.Round(x)
		}
		v := levelValue(prm, math.Max(prm.Low, math.Min(prm.High, x)))
		if len(out) == 0 || !out[len(out)-1].Equal(v) {
			out = append(out, v)
		}
	}
	return out
}

// levelValue makes a parameter value; floats are rounded to 12 significant
// digits so that 0.1*3 reads 0.3 in trial parameters and reports (unless
// the rounding would leave [low, high]).
func levelValue(prm *search.Param, x float64) value.Value {
	if prm.Type == search.IntParam {
		return value.Int(int64(math.Round(x)))
	}
	r, err := strconv.ParseFloat(strconv.FormatFloat(x, 'g', 12, 64), 64)
	if err != nil || r < prm.Low || r > prm.High {
		r = x
	}
	return value.Float(r)
}
