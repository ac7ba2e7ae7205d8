package search

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ValueKind says what a Value holds.
type ValueKind uint8

const (
	// Absent marks a parameter that is inactive in a point (its `when` does not hold).
	Absent ValueKind = iota
	FloatValue
	IntValue
	StringValue
	BoolValue
)

// Value is one parameter's value: a float, an int, a string or a bool.
// The zero Value is Absent. Values are small and compared with ==.
type Value struct {
	kind ValueKind
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
func (v Value) Kind() ValueKind { return v.kind }

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
