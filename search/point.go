package search

import (
	"bytes"
	"fmt"
	"math"

	"automl/search/value"
)

// Point is one configuration: a Value per parameter, aligned with
// Space.Params. An inactive parameter holds the Absent value.
type Point []value.Value

// Equal reports whether two points assign the same values.
func (p Point) Equal(q Point) bool {
	if len(p) != len(q) {
		return false
	}
	for i := range p {
		if !p[i].Equal(q[i]) {
			return false
		}
	}
	return true
}

// Key is a canonical string of the point, usable as a map key to detect duplicates.
func (p Point) Key() string {
	var b bytes.Buffer
	for i, v := range p {
		if i > 0 {
			b.WriteByte('|')
		}
		if !v.IsAbsent() {
			b.WriteString(v.String())
		}
	}
	return b.String()
}

// Values names a point's active values.
func (s *Space) Values(p Point) value.Values {
	vs := make(value.Values, 0, len(p))
	for i, v := range p {
		if !v.IsAbsent() {
			vs = append(vs, value.NamedValue{Name: s.Params[i].Name, Value: v})
		}
	}
	return vs
}

// PointOf converts named values back to a point, checking that every value
// is one the space allows and that exactly the active parameters are set.
func (s *Space) PointOf(vs value.Values) (Point, error) {
	p := make(Point, len(s.Params))
	for _, nv := range vs {
		i := s.Index(nv.Name)
		if i < 0 {
			return nil, fmt.Errorf("parameter %q is not in the space", nv.Name)
		}
		v, err := s.Params[i].coerce(nv.Value)
		if err != nil {
			return nil, fmt.Errorf("parameter %q: %w", nv.Name, err)
		}
		p[i] = v
	}
	if err := s.Check(p); err != nil {
		return nil, err
	}
	return p, nil
}

// Check verifies that p is a valid point of the space: every active
// parameter has an allowed value and every inactive one is absent.
func (s *Space) Check(p Point) error {
	if len(p) != len(s.Params) {
		return fmt.Errorf("point has %d values, space has %d parameters", len(p), len(s.Params))
	}
	active := s.Active(p)
	for i := range s.Params {
		prm := &s.Params[i]
		switch {
		case active[i] && p[i].IsAbsent():
			return fmt.Errorf("parameter %q is active but has no value", prm.Name)
		case !active[i] && !p[i].IsAbsent():
			return fmt.Errorf("parameter %q is inactive (its when: does not hold) but has value %v", prm.Name, p[i])
		case active[i]:
			if !prm.Contains(p[i]) {
				return fmt.Errorf("parameter %q: value %v is outside the space", prm.Name, p[i])
			}
		}
	}
	return nil
}

// Active reports, for each parameter, whether its conditions hold in p.
// Parents are evaluated before children, so nesting works.
func (s *Space) Active(p Point) []bool {
	act := make([]bool, len(s.Params))
	for _, i := range s.order {
		act[i] = s.conditionsHold(i, p, act)
	}
	return act
}

func (s *Space) conditionsHold(i int, p Point, act []bool) bool {
	for _, c := range s.Params[i].When {
		j := s.index[c.Parent]
		if !act[j] {
			return false
		}
		ok := false
		for _, v := range c.Values {
			if p[j].Equal(v) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// Contains reports whether v is a value the parameter can take.
func (p *Param) Contains(v value.Value) bool {
	switch p.Type {
	case CategoricalParam:
		return p.choiceIndex(v) >= 0
	case FloatParam, IntParam:
		x, ok := v.Float()
		if !ok || v.Kind() == value.BoolValue || math.IsNaN(x) {
			return false
		}
		if p.Type == IntParam && x != math.Trunc(x) {
			return false
		}
		if len(p.Grid) > 0 {
			for _, g := range p.Grid {
				if g.Equal(v) {
					return true
				}
			}
		}
		const eps = 1e-9
		span := p.High - p.Low
		if x < p.Low-eps*math.Max(1, math.Abs(p.Low)) || x > p.High+eps*math.Max(1, math.Abs(p.High)) {
			return false
		}
		if p.Step > 0 {
			k := (x - p.Low) / p.Step
			if math.Abs(k-math.Round(k)) > 1e-6*math.Max(1, span/p.Step) {
				return false
			}
		}
		return true
	}
	return false
}

func (p *Param) choiceIndex(v value.Value) int {
	for i, c := range p.Choices {
		if c.Equal(v) {
			return i
		}
	}
	return -1
}

// coerce converts a decoded value to the parameter's own kind (JSON gives
// ints where a float param had an integral value, and so on).
func (p *Param) coerce(v value.Value) (value.Value, error) {
	switch p.Type {
	case FloatParam:
		if x, ok := v.Float(); ok && v.Kind() != value.BoolValue {
			return value.Float(x), nil
		}
		return value.Value{}, fmt.Errorf("want a number, got %v", v)
	case IntParam:
		if n, ok := v.Int(); ok {
			return value.Int(n), nil
		}
		return value.Value{}, fmt.Errorf("want an integer, got %v", v)
	case CategoricalParam:
		if i := p.choiceIndex(v); i >= 0 {
			return p.Choices[i], nil
		}
		return value.Value{}, fmt.Errorf("%v is not one of the choices %s", v, formatValues(p.Choices))
	}
	return v, nil
}
