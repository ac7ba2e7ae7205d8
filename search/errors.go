package search

import (
	"fmt"
	"strings"

	"automl/search/value"
)

// ParamError is a mistake about one parameter, found by NewSpace or by an
// algorithm's Validate. It names the parameter (and, for a condition, the
// parent its when: names), not a place in a file: the space file's parser
// places it at that parameter's definition.
type ParamError struct {
	Param string
	// Parent is set for a mistake in the condition on that parent.
	Parent string
	Msg    string
}

func (e *ParamError) Error() string { return fmt.Sprintf("parameter %q: %s", e.Param, e.Msg) }

// OptionError is a bad value of one algorithm option.
type OptionError struct {
	Key, Msg string
}

func (e *OptionError) Error() string { return e.Key + ": " + e.Msg }

func formatValues(vs []value.Value) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = formatValue(v)
	}
	return "[" + strings.Join(s, ", ") + "]"
}

// formatValue writes a value for a message, quoting text so that "true"
// and true, or "64" and 64, read differently.
func formatValue(v value.Value) string {
	if s, ok := v.Str(); ok {
		return fmt.Sprintf("%q", s)
	}
	return v.String()
}
