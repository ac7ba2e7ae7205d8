// Package jsonscan walks JSON objects without building maps: the fast path
// of the decoders that run once per trial (value.Values, trial.Metrics).
package jsonscan

import (
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// ErrNull is returned by Fields for the JSON literal null.
var ErrNull = errors.New("null")

// Fields walks a JSON object in order, calling field with each key
// and the raw bytes of its value (a string value keeps its quotes; see
// String). It is the fast path of the decoders that run once per trial
// (Values here, trial.Metrics): going through json.Decoder tokens or a map
// of json.RawMessage allocated tens of times per object. The input is
// expected to be valid JSON (encoding/json checks it before calling an
// UnmarshalJSON method); malformed input still gives an error, never a
// panic. For null it returns ErrNull.
func Fields(data []byte, field func(name string, raw []byte) error) error {
	i := skipSpace(data, 0)
	if i >= len(data) {
		return errors.New("unexpected end of JSON input")
	}
	if data[i] != '{' {
		if j := skipSpace(data, i+4); i+4 <= len(data) && string(data[i:i+4]) == "null" && j == len(data) {
			return ErrNull
		}
		return errors.New("want a JSON object")
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return nil
	}
	for {
		if i >= len(data) || data[i] != '"' {
			return fmt.Errorf("want a quoted name at offset %d", i)
		}
		name, next, err := scanString(data, i)
		if err != nil {
			return err
		}
		i = skipSpace(data, next)
		if i >= len(data) || data[i] != ':' {
			return fmt.Errorf("%q: want ':' at offset %d", name, i)
		}
		i = skipSpace(data, i+1)
		end, err := valueEnd(data, i)
		if err != nil {
			return fmt.Errorf("%q: %w", name, err)
		}
		if err := field(name, data[i:end]); err != nil {
			return err
		}
		i = skipSpace(data, end)
		if i >= len(data) {
			return errors.New("unexpected end of JSON input")
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
			continue
		case '}':
			return nil
		}
		return fmt.Errorf("want ',' or '}' at offset %d", i)
	}
}

// String decodes a raw JSON string value (with its quotes).
func String(raw []byte) (string, error) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", errors.New("want a JSON string")
	}
	s, next, err := scanString(raw, 0)
	if err == nil && next != len(raw) {
		err = errors.New("want one JSON string")
	}
	return s, err
}

// valueEnd returns the offset after the JSON value starting at data[i].
func valueEnd(data []byte, i int) (int, error) {
	if i >= len(data) {
		return i, errors.New("unexpected end of JSON input")
	}
	switch data[i] {
	case '"':
		_, next, err := scanString(data, i)
		return next, err
	case '[', '{':
		return skipComposite(data, i)
	}
	j := i
	for j < len(data) && !isDelim(data[j]) {
		j++
	}
	if j == i {
		return j, fmt.Errorf("want a value at offset %d", i)
	}
	return j, nil
}

func isDelim(c byte) bool {
	return c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// scanString decodes the JSON string starting at data[i] (a quote) and
// returns the offset after its closing quote. Valid UTF-8 without escapes
// is copied directly; anything else goes through encoding/json, so escapes
// and invalid UTF-8 decode exactly as there.
func scanString(data []byte, i int) (string, int, error) {
	plain, ascii := true, true
	for j := i + 1; j < len(data); j++ {
		switch c := data[j]; {
		case c == '"':
			if plain && (ascii || utf8.Valid(data[i+1:j])) {
				return string(data[i+1 : j]), j + 1, nil
			}
			var s string
			if err := json.Unmarshal(data[i:j+1], &s); err != nil {
				return "", j + 1, err
			}
			return s, j + 1, nil
		case c == '\\':
			plain = false
			j++ // the escaped byte cannot end the string
		case c < 0x20:
			plain = false
		case c >= 0x80:
			ascii = false
		}
	}
	return "", len(data), errors.New("unexpected end of JSON input in a string")
}

// skipComposite returns the offset after the array or object at data[i].
func skipComposite(data []byte, i int) (int, error) {
	depth := 0
	for j := i; j < len(data); j++ {
		switch data[j] {
		case '"':
			_, next, err := scanString(data, j)
			if err != nil {
				return next, err
			}
			j = next - 1
		case '[', '{':
			depth++
		case ']', '}':
			depth--
			if depth == 0 {
				return j + 1, nil
			}
		}
	}
	return len(data), errors.New("unexpected end of JSON input")
}
