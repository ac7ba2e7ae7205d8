package search

import (
	"errors"
	"fmt"

	"automl/search/value"
)

// Fit places a configuration recorded under another version of the space
// (a study whose space file was edited since) in this one, as the
// model-based algorithms learn from it: a value of a parameter the space
// no longer has, or whose conditions do not hold, is left out; an active
// parameter the configuration has no value for takes its Default. The
// error says in a few words why a configuration is outside the space
// ("lr > 0.5", "optimizer = sgd", "dropout has no value and no default"),
// so that callers can count trials by reason. A configuration of this very
// space fits as PointOf reads it.
func (s *Space) Fit(vs value.Values) (Point, error) {
	p := make(Point, len(s.Params))
	given := make([]bool, len(s.Params))
	for _, nv := range vs {
		if i := s.Index(nv.Name); i >= 0 {
			p[i], given[i] = nv.Value, true
		}
	}
	act := make([]bool, len(s.Params))
	for _, i := range s.order { // parents first: a default may make a child active
		prm := &s.Params[i]
		if !s.conditionsHold(i, p, act) {
			p[i] = value.Value{}
			continue
		}
		act[i] = true
		if !given[i] || p[i].IsAbsent() {
			if prm.Default.IsAbsent() {
				return nil, fmt.Errorf("%s has no value and no default", prm.Name)
			}
			p[i] = prm.Default
			continue
		}
		v, err := prm.coerce(p[i])
		if err != nil || !prm.Contains(v) {
			return nil, errors.New(outside(prm, p[i]))
		}
		p[i] = v
	}
	return p, nil
}

// outside says briefly why v is not a value of prm.
func outside(prm *Param, v value.Value) string {
	x, isNum := v.Float()
	switch {
	case prm.Type == CategoricalParam || !isNum || v.Kind() == value.BoolValue:
		return fmt.Sprintf("%s = %s", prm.Name, v)
	case x < prm.Low:
		return fmt.Sprintf("%s < %v", prm.Name, prm.Low)
	case x > prm.High:
		return fmt.Sprintf("%s > %v", prm.Name, prm.High)
	case prm.Type == IntParam && v.Kind() == value.FloatValue:
		return fmt.Sprintf("%s = %s, not a whole number", prm.Name, v)
	}
	return fmt.Sprintf("%s = %s, not on its step %v", prm.Name, v, prm.step())
}
