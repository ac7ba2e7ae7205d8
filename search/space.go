package search

import "automl/search/value"

// ParamType is the type of a search parameter.
type ParamType uint8

const (
	FloatParam ParamType = iota + 1
	IntParam
	CategoricalParam
)

func (t ParamType) String() string {
	switch t {
	case FloatParam:
		return "float"
	case IntParam:
		return "int"
	case CategoricalParam:
		return "categorical"
	}
	return "unknown"
}

// Param is one parameter of the search space.
type Param struct {
	Name string
	Type ParamType
	// Low and High bound float and int parameters (both inclusive).
	Low, High float64
	// Log samples uniformly in log space (Low > 0).
	Log bool
	// Step, when > 0, restricts values to Low + k*Step. Ints default to 1.
	Step float64
	// Choices are a categorical parameter's values, in file order.
	Choices []value.Value
	// Grid lists explicit values for grid search; Points asks grid search for
	// N evenly spaced values (in log space when Log). Both optional.
	Grid   []value.Value
	Points int
	// Default is the value an earlier trial that has none for this
	// parameter is taken to have run with (a parameter added to a study
	// with history), and the value a configuration users queue without
	// it takes; Absent when the file gives none.
	Default value.Value
	// When makes the parameter conditional: it is active only if, for every
	// condition, the parent is active and takes one of the listed values.
	When []Condition
}

// Condition is one `when:` entry: Parent must take one of Values.
type Condition struct {
	Parent string
	Values []value.Value
}

// MaxDiscrete bounds int parameters and the number of values of a stepped
// float: up to it, Decode(Encode(x)) == x holds exactly for every value
// (log-scale ints lose it a little above 2^47, linear ones above 2^51).
const MaxDiscrete = 1e13

// Space is the parameter space of a study: its parameters in file order.
// Make one with NewSpace; it is immutable after that, and all methods are
// safe for concurrent use.
type Space struct {
	Params []Param // file order

	index map[string]int // name -> position in Params
	order []int          // parents before children
}

// Dim is the number of parameters (the unit cube's dimension).
func (s *Space) Dim() int { return len(s.Params) }

// Index returns the position of the named parameter, or -1.
func (s *Space) Index(name string) int {
	if i, ok := s.index[name]; ok {
		return i
	}
	return -1
}

// Param returns the named parameter.
func (s *Space) Param(name string) (*Param, bool) {
	i := s.Index(name)
	if i < 0 {
		return nil, false
	}
	return &s.Params[i], true
}

// Conditional reports whether any parameter has a `when`.
func (s *Space) Conditional() bool {
	for i := range s.Params {
		if len(s.Params[i].When) > 0 {
			return true
		}
	}
	return false
}
