package search

import (
	"errors"
	"fmt"
	"strings"

	"automl/internal/suggest"
	"automl/search/value"
)

// NewSpace makes the space of the given parameters, checking what spans
// them: names are distinct, every condition names another parameter, one
// with exact values (a categorical, an int, or a float with a grid), and
// values it can take, and conditions form no cycle. Each mistake is a
// *ParamError; several are joined (errors.Join). The parameters are taken
// as they are: a parameter's own bounds are the caller's to check (the
// space file's parser does, with the place of each key).
func NewSpace(params []Param) (*Space, error) {
	s := &Space{Params: params, index: make(map[string]int, len(params))}
	var errs []error
	bad := func(prm, parent, format string, args ...any) {
		errs = append(errs, &ParamError{Param: prm, Parent: parent, Msg: fmt.Sprintf(format, args...)})
	}
	names := make([]string, len(params))
	for i, prm := range params {
		if _, dup := s.index[prm.Name]; dup {
			bad(prm.Name, "", "defined twice")
			continue
		}
		s.index[prm.Name] = i
		names[i] = prm.Name
	}
	for i := range s.Params {
		prm := &s.Params[i]
		for _, c := range prm.When {
			j, ok := s.index[c.Parent]
			if !ok {
				bad(prm.Name, c.Parent, "when: names parameter %q, which is not defined%s", c.Parent, suggest.Hint(c.Parent, names))
				continue
			}
			if j == i {
				bad(prm.Name, c.Parent, "when: names the parameter itself; a parameter cannot be conditional on its own value")
				continue
			}
			parent := &s.Params[j]
			// Only a grid makes a float's values exact: a stepped value
			// (low + k*step) need not equal the number written in when:.
			if parent.Type == FloatParam && len(parent.Grid) == 0 {
				bad(prm.Name, c.Parent, "when: parent %q is a float, whose values are not exact; condition on a categorical or int parameter (or give %q a grid: [...])", c.Parent, c.Parent)
				continue
			}
			for _, v := range c.Values {
				if !canTake(parent, v) {
					bad(prm.Name, c.Parent, "when: %s = %s can never hold: %s", c.Parent, formatValue(v), describeDomain(parent))
				}
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	order, cycle := topoOrder(s)
	if cycle != nil {
		path := make([]string, len(cycle))
		for i, j := range cycle {
			path[i] = s.Params[j].Name
		}
		bad(path[0], "", "conditions form a cycle: %s -> %s (each one's when: names the next), so none of them can ever be active; remove one of these conditions", strings.Join(path, " -> "), path[0])
		return nil, errors.Join(errs...)
	}
	s.order = order
	return s, nil
}

// canTake reports whether a condition on prm can hold for v: v is one of
// the values Decode can give prm (a grid restricts a number parameter).
func canTake(prm *Param, v value.Value) bool {
	if prm.Type != CategoricalParam && len(prm.Grid) > 0 {
		for _, g := range prm.Grid {
			if g.Equal(v) {
				return true
			}
		}
		return false
	}
	return prm.Contains(v)
}

func describeDomain(prm *Param) string {
	switch {
	case prm.Type == CategoricalParam:
		return fmt.Sprintf("%q takes one of %s", prm.Name, formatValues(prm.Choices))
	case len(prm.Grid) > 0:
		return fmt.Sprintf("%q takes one of %s", prm.Name, formatValues(prm.Grid))
	case prm.Type == IntParam && prm.step() == 1:
		return fmt.Sprintf("%q takes the whole numbers %v to %v", prm.Name, prm.Low, prm.High)
	case prm.Step > 0:
		return fmt.Sprintf("%q takes %v to %v in steps of %v", prm.Name, prm.Low, prm.High, prm.Step)
	}
	return fmt.Sprintf("%q takes values in [%v, %v]", prm.Name, prm.Low, prm.High)
}

// topoOrder orders parameters parents-first, keeping file order where it
// can; it returns a cycle (as parameter indices) when there is one.
func topoOrder(s *Space) ([]int, []int) {
	const (
		white = iota
		grey
		black
	)
	color := make([]int, len(s.Params))
	var order, stack []int
	var cycle []int
	var visit func(i int) bool
	visit = func(i int) bool {
		color[i] = grey
		stack = append(stack, i)
		for _, c := range s.Params[i].When {
			j := s.index[c.Parent]
			switch color[j] {
			case grey:
				for k := len(stack) - 1; k >= 0; k-- {
					if stack[k] == j {
						cycle = append([]int(nil), stack[k:]...)
						break
					}
				}
				return false
			case white:
				if !visit(j) {
					return false
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[i] = black
		order = append(order, i)
		return true
	}
	for i := range s.Params {
		if color[i] == white && !visit(i) {
			return nil, cycle
		}
	}
	return order, nil
}
