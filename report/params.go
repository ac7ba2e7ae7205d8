package report

import (
	"math"
	"slices"

	"automl/scheduler"
	"automl/search"
	"automl/search/value"
	"automl/spacefile"
)

// Param is one axis of the plots: a parameter of the space (or, when the
// stored space no longer parses, one found in the trials).
type Param struct {
	Name        string
	Categorical bool // choices (or an explicit grid) rather than a number line
	Int         bool
	Log         bool
	// Low and High bound a numeric parameter (the space's bounds, else the
	// values seen).
	Low, High float64
	// Levels are a categorical parameter's values, in the space's order.
	Levels []value.Value
	// Conditional: the parameter has a `when` (or is missing from some trials).
	Conditional bool

	def *search.Param // nil for an inferred parameter
}

// Coord places v on the parameter's axis: a number as itself, a level by
// its index. NaN when v is absent or unknown.
func (p *Param) Coord(v value.Value) float64 {
	if v.IsAbsent() {
		return math.NaN()
	}
	if p.Categorical {
		for i, l := range p.Levels {
			if l.Equal(v) {
				return float64(i)
			}
		}
		return math.NaN()
	}
	if x, ok := v.Float(); ok {
		return x
	}
	return math.NaN()
}

// Unit maps v into [0, 1] the way the search algorithms see the space (the
// unit-cube transform): log scales in log space, every level of a
// categorical, an int or a stepped float an equal cell. NaN when absent.
func (p *Param) Unit(v value.Value) float64 {
	if v.IsAbsent() {
		return math.NaN()
	}
	if p.def != nil {
		pt := make(search.Point, 1)
		pt[0] = v
		return (&search.Space{Params: []search.Param{*p.def}}).Encode(pt)[0]
	}
	if p.Categorical {
		i := p.Coord(v)
		return (i + 0.5) / float64(len(p.Levels))
	}
	x, ok := v.Float()
	if !ok || p.High <= p.Low {
		return 0.5
	}
	if p.Log {
		return clamp01((math.Log(x) - math.Log(p.Low)) / (math.Log(p.High) - math.Log(p.Low)))
	}
	return clamp01((x - p.Low) / (p.High - p.Low))
}

func clamp01(x float64) float64 { return math.Max(0, math.Min(1, x)) }

// parseSpaceFile parses the study's stored space file; nil when it fails.
func parseSpaceFile(st *scheduler.Study) *spacefile.File {
	if st == nil || len(st.SpaceText) == 0 {
		return nil
	}
	f, err := spacefile.Parse(st.SpaceFile, st.SpaceText)
	if err != nil {
		return nil
	}
	return f
}

// paramsOf lists the axes: the space's parameters in file order, then any
// parameter seen in trials that the space lacks.
func paramsOf(space *search.Space, rows []Row) []Param {
	var out []Param
	known := map[string]bool{}
	if space != nil {
		for i := range space.Params {
			sp := &space.Params[i]
			p := Param{Name: sp.Name, Int: sp.Type == search.IntParam, Log: sp.Log, Low: sp.Low, High: sp.High,
				Conditional: len(sp.When) > 0, def: sp}
			switch {
			case sp.Type == search.CategoricalParam:
				p.Categorical, p.Levels = true, sp.Choices
			case len(sp.Grid) > 0:
				p.Categorical, p.Levels = true, sp.Grid
			}
			widenToTrials(&p, rows)
			out = append(out, p)
			known[sp.Name] = true
		}
	}
	for _, name := range ParamNames(rows) {
		if !known[name] {
			out = append(out, inferParam(name, rows))
		}
	}
	return out
}

// widenToTrials makes an axis of the space hold every value trials have:
// trials created under an earlier version of an edited space may lie
// outside its bounds, or have a choice it no longer lists. Such an axis
// leaves the space's unit-cube transform for a plain one over what it
// shows.
func widenToTrials(p *Param, rows []Row) {
	def := p.def
	for i := range rows {
		v, ok := rows[i].Params.Get(p.Name)
		if !ok || def.Contains(v) {
			continue
		}
		if p.Categorical {
			if !slices.ContainsFunc(p.Levels, v.Equal) && len(p.Levels) <= maxLevels {
				p.Levels = append(slices.Clip(p.Levels), v)
				p.def = nil
			}
			continue
		}
		if x, isNum := v.Float(); isNum && !math.IsNaN(x) && (x < p.Low || x > p.High) {
			p.Low, p.High = math.Min(p.Low, x), math.Max(p.High, x)
			p.Log = p.Log && p.Low > 0
			p.def = nil
		}
	}
}

// inferParam describes a parameter from the values trials hold: numeric
// when every value is a number, else categorical over the values seen.
func inferParam(name string, rows []Row) Param {
	p := Param{Name: name, Int: true, Low: math.Inf(1), High: math.Inf(-1)}
	numeric := true
	var levels []value.Value
	seen := map[value.Value]bool{}
	for i := range rows {
		v, ok := rows[i].Params.Get(name)
		if !ok {
			p.Conditional = true
			continue
		}
		if x, isNum := v.Float(); isNum && v.Kind() != value.BoolValue {
			p.Low, p.High = math.Min(p.Low, x), math.Max(p.High, x)
			p.Int = p.Int && v.Kind() == value.IntValue
		} else {
			numeric = false
		}
		if !seen[v] && len(levels) <= maxLevels {
			seen[v] = true
			levels = append(levels, v)
		}
	}
	if !numeric {
		p.Categorical, p.Levels, p.Int = true, levels, false
		p.Low, p.High = 0, 0
		return p
	}
	if p.Low > p.High { // no values at all
		p.Low, p.High = 0, 1
	}
	// Values spanning three orders of magnitude were most likely sampled
	// on a log scale.
	p.Log = p.Low > 0 && p.High/p.Low >= 1000
	return p
}

// maxLevels bounds the levels kept for an inferred categorical axis.
const maxLevels = 64
