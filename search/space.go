package search

import (
	"fmt"
	"time"
)

// Pos is a place in a space file, for error messages.
type Pos struct {
	Line, Column int
}

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

// Param is one parameter of the search space, as the space file defines it.
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
	Choices []Value
	// Grid lists explicit values for grid search; Points asks grid search for
	// N evenly spaced values (in log space when Log). Both optional.
	Grid   []Value
	Points int
	// When makes the parameter conditional: it is active only if, for every
	// condition, the parent is active and takes one of the listed values.
	When []Condition
	Pos  Pos
}

// Condition is one `when:` entry: Parent must take one of Values.
type Condition struct {
	Parent string
	Values []Value
	Pos    Pos
}

// Direction is the objective's direction.
type Direction uint8

const (
	Minimize Direction = iota + 1
	Maximize
)

func (d Direction) String() string {
	if d == Maximize {
		return "maximize"
	}
	return "minimize"
}

// Objective names the metric a study optimises.
type Objective struct {
	Metric    string
	Direction Direction
}

// Loss turns an objective value into a loss (lower is better), so search
// code never branches on the direction.
func (o Objective) Loss(v float64) float64 {
	if o.Direction == Maximize {
		return -v
	}
	return v
}

// Better reports whether value a beats value b under the objective.
func (o Objective) Better(a, b float64) bool { return o.Loss(a) < o.Loss(b) }

// Budget bounds a study. Zero fields are unlimited.
type Budget struct {
	Trials           int
	Timeout          time.Duration
	MaxResourceTotal float64
	// The failure budgets, nil when the file leaves them to the command's
	// defaults. Retries: re-runs of a trial whose code failed. MaxLost:
	// re-runs of a run the infrastructure lost (a worker died), which are
	// not failures of the trial. MaxFailed: failed trials that end the
	// study.
	Retries, MaxLost, MaxFailed *int
}

// Algorithm selects and configures the searcher.
type Algorithm struct {
	Name string
	// Seed drives all randomness of the study; HasSeed is false when the file
	// gave none (the scheduler then picks one and records it).
	Seed    uint64
	HasSeed bool
	// Options are the algorithm-specific keys (min_resource, gamma, ...),
	// checked against the algorithm's registered option table.
	Options map[string]Value
	Pos     Pos
}

// Trainer says what runs a trial.
type Trainer struct {
	// Plugin is a built-in trainer name (mlp, exec, funcs) or a path to a plugin binary.
	Plugin string
	// Config is passed to the trainer as is (decoded YAML: maps, lists, scalars).
	Config map[string]any
	// ConfigPos is where each top-level config key's value is in the file.
	ConfigPos map[string]Pos
	// Reuse keeps a slot's plugin process alive across trials of this trainer.
	Reuse *bool
	// Prelaunch (default on) lets a slot launch the next trial's process
	// while a trial runs when processes are not reused; off for a plugin
	// that takes GPU memory before it serves.
	Prelaunch *bool
	// Pool targets workers of one pool (default "default").
	Pool string
	// SHA256 pins the plugin binary's checksum.
	SHA256 string
	// Timeout bounds one trial's run (0: none).
	Timeout time.Duration
	Pos     Pos
}

// Space is a parsed, validated space file: the study's parameters and settings.
// It is immutable after Parse; all methods are safe for concurrent use.
type Space struct {
	File      string // where it was read from (for messages)
	Study     string
	Objective Objective
	MetricPos Pos // where objective.metric is written, for messages
	Budget    Budget
	Algorithm Algorithm
	Resource  string
	Trainer   Trainer
	Params    []Param // file order

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

// ConfigError makes an error about a trainer config key, placed at that key
// in the space file, for TrainerSpec.Check functions.
func (s *Space) ConfigError(key string, format string, args ...any) error {
	pos, ok := s.Trainer.ConfigPos[key]
	if !ok {
		pos = s.Trainer.Pos
	}
	return &Error{File: s.File, Pos: pos, Where: "trainer.config." + key, Msg: fmt.Sprintf(format, args...)}
}

// MetricError makes an error about the objective's metric, placed at it.
func (s *Space) MetricError(format string, args ...any) error {
	return &Error{File: s.File, Pos: s.MetricPos, Where: "objective.metric", Msg: fmt.Sprintf(format, args...)}
}

// ParamError makes an error about a parameter, placed at its definition.
func (s *Space) ParamError(name string, format string, args ...any) error {
	pos := s.Trainer.Pos
	if prm, ok := s.Param(name); ok {
		pos = prm.Pos
	}
	return &Error{File: s.File, Pos: pos, Where: fmt.Sprintf("parameter %q", name), Msg: fmt.Sprintf(format, args...)}
}
