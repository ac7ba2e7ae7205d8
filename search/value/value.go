// Package value is what a search parameter takes: a float, an int, a
// string or a bool (Value), and a configuration's values by name (Values),
// which jobs, trial records and reports carry. The zero Value is absent:
// an inactive parameter.
package value

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"automl/internal/jsonscan"
)

// Kind says what a Value holds.
type Kind uint8

const (
	// Absent marks a parameter that is inactive in a point (its `when` does not hold).
	Absent Kind = iota
	FloatValue
	IntValue
	StringValue
	BoolValue
)

// Value is one parameter's value: a float, an int, a string or a bool.
// The zero Value is Absent. Values are small and compared with ==.
type Value struct {
	kind Kind
	num  float64 // FloatValue, IntValue (integral), BoolValue (0 or 1)
	str  string  // StringValue
}

// Float, Int, String and Bool make Values.
func Float(x float64) Value { return Value{kind: FloatValue, num: x} }
func Int(n int64) Value     { return Value{kind: IntValue, num: float64(n)} }
func String(s string) Value { return Value{kind: StringValue, str: s} }
func Bool(b bool) Value {
	if b {
		return Value{kind: BoolValue, num: 1}
	}
	return Value{kind: BoolValue}
}

// Kind returns what v holds.
func (v Value) Kind() Kind { return v.kind }

// IsAbsent reports whether v is the zero Value (an inactive parameter).
func (v Value) IsAbsent() bool { return v.kind == Absent }

// Float returns v as a float64; ints and bools convert, strings give false.
func (v Value) Float() (float64, bool) {
	switch v.kind {
	case FloatValue, IntValue, BoolValue:
		return v.num, true
	}
	return 0, false
}

// Int returns v as an int64 if it holds an integral number.
func (v Value) Int() (int64, bool) {
	switch v.kind {
	case IntValue:
		return int64(v.num), true
	case FloatValue:
		if v.num == math.Trunc(v.num) && math.Abs(v.num) < 1<<53 {
			return int64(v.num), true
		}
	}
	return 0, false
}

// Str returns the string a StringValue holds.
func (v Value) Str() (string, bool) { return v.str, v.kind == StringValue }

// BoolVal returns the bool a BoolValue holds.
func (v Value) BoolVal() (bool, bool) { return v.num != 0, v.kind == BoolValue }

// Equal compares values; an int and a float with the same number are equal,
// so `when: {layers: 2}` matches whichever way the number was written.
func (v Value) Equal(w Value) bool {
	if v.isNumber() && w.isNumber() {
		return v.num == w.num
	}
	return v == w
}

func (v Value) isNumber() bool { return v.kind == FloatValue || v.kind == IntValue }

// String formats v as it would be written in a space file.
func (v Value) String() string {
	switch v.kind {
	case FloatValue:
		return strconv.FormatFloat(v.num, 'g', -1, 64)
	case IntValue:
		return strconv.FormatInt(int64(v.num), 10)
	case StringValue:
		return v.str
	case BoolValue:
		return strconv.FormatBool(v.num != 0)
	}
	return "<absent>"
}

// Any returns v as a plain Go value (float64, int64, string, bool or nil).
func (v Value) Any() any {
	switch v.kind {
	case FloatValue:
		return v.num
	case IntValue:
		return int64(v.num)
	case StringValue:
		return v.str
	case BoolValue:
		return v.num != 0
	}
	return nil
}

// MarshalJSON writes numbers as JSON numbers (ints without a fraction).
// NaN and infinities, which JSON cannot hold, are written as strings.
func (v Value) MarshalJSON() ([]byte, error) {
	switch v.kind {
	case FloatValue:
		if math.IsNaN(v.num) || math.IsInf(v.num, 0) {
			return json.Marshal(strconv.FormatFloat(v.num, 'g', -1, 64))
		}
		b := strconv.AppendFloat(nil, v.num, 'g', -1, 64)
		if !bytes.ContainsAny(b, ".eEn") { // keep the float-ness visible: 1 -> 1.0
			b = append(b, ".0"...)
		}
		return b, nil
	case IntValue:
		return strconv.AppendInt(nil, int64(v.num), 10), nil
	case StringValue:
		return json.Marshal(v.str)
	case BoolValue:
		return strconv.AppendBool(nil, v.num != 0), nil
	}
	return []byte("null"), nil
}

// UnmarshalJSON reads a number (an int when written without fraction or
// exponent), a string, a bool or null.
func (v *Value) UnmarshalJSON(b []byte) error {
	s := string(bytes.TrimSpace(b))
	switch {
	case s == "null":
		*v = Value{}
	case s == "true" || s == "false":
		*v = Bool(s == "true")
	case strings.HasPrefix(s, `"`):
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		*v = String(str)
	default:
		if !strings.ContainsAny(s, ".eE") {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				*v = Int(n)
				return nil
			}
		}
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("value %s: not a number, string or bool", s)
		}
		*v = Float(x)
	}
	return nil
}

// NamedValue is one parameter's name and value.
type NamedValue struct {
	Name  string
	Value Value
}

// Values are a trial's active parameters by name, in the space's order: what
// trainers receive. They marshal to a JSON object with keys in that order.
type Values []NamedValue

// Get returns the named value (Absent when missing).
func (vs Values) Get(name string) (Value, bool) {
	for _, nv := range vs {
		if nv.Name == name {
			return nv.Value, true
		}
	}
	return Value{}, false
}

// Float returns a number parameter, or def when it is missing.
func (vs Values) Float(name string, def float64) float64 {
	if v, ok := vs.Get(name); ok {
		if x, ok := v.Float(); ok {
			return x
		}
	}
	return def
}

// Int returns an integral parameter, or def when it is missing.
func (vs Values) Int(name string, def int64) int64 {
	if v, ok := vs.Get(name); ok {
		if n, ok := v.Int(); ok {
			return n
		}
	}
	return def
}

// String returns a parameter formatted as text, or def when it is missing.
func (vs Values) String(name string, def string) string {
	if v, ok := vs.Get(name); ok {
		return v.String()
	}
	return def
}

// Map returns the values as plain Go values by name.
func (vs Values) Map() map[string]any {
	m := make(map[string]any, len(vs))
	for _, nv := range vs {
		m[nv.Name] = nv.Value.Any()
	}
	return m
}

// MarshalJSON writes {"name": value, ...} in order.
func (vs Values) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, nv := range vs {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(nv.Name)
		b.Write(k)
		b.WriteByte(':')
		v, err := nv.Value.MarshalJSON()
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads a JSON object keeping its key order (see
// jsonscan.Fields: a study of 100,000 trials decodes one Values per trial).
func (vs *Values) UnmarshalJSON(data []byte) error {
	out := make(Values, 0, bytes.Count(data, []byte{':'}))
	err := jsonscan.Fields(data, func(name string, raw []byte) error {
		var v Value
		if err := v.scan(raw); err != nil {
			return fmt.Errorf("%q: %w", name, err)
		}
		out = append(out, NamedValue{Name: name, Value: v})
		return nil
	})
	switch {
	case errors.Is(err, jsonscan.ErrNull):
		*vs = nil
	case err != nil:
		return fmt.Errorf("params: %w", err)
	default:
		*vs = out
	}
	return nil
}

// scan decodes one raw JSON value with the kinds of UnmarshalJSON, without
// its copying for the common cases.
func (v *Value) scan(raw []byte) error {
	switch {
	case raw[0] == '"':
		s, err := jsonscan.String(raw)
		*v = String(s)
		return err
	case string(raw) == "null":
		*v = Value{}
		return nil
	case string(raw) == "true" || string(raw) == "false":
		*v = Bool(raw[0] == 't')
		return nil
	}
	return v.UnmarshalJSON(raw)
}
