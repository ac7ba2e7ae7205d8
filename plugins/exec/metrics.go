package exec

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"automl/trial"
)

// parseMetrics reads a metric line: a flat JSON object whose values are
// all numbers, such as {"step": 3, "val_loss": 0.41}. The bare NaN,
// Infinity and -Infinity Python's json module writes are accepted (and
// then rejected as metrics by the caller, with a clear message). "step",
// when present, is the step and not a metric. Any other line is not a
// metric line (ok false) and belongs to the log.
func parseMetrics(line string) (step float64, hasStep bool, m trial.Metrics, ok bool) {
	line = strings.TrimSpace(line)
	if len(line) < 2 || line[0] != '{' || line[len(line)-1] != '}' {
		return 0, false, nil, false
	}
	dec := json.NewDecoder(strings.NewReader(quoteNonFinite(line)))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil || dec.More() {
		return 0, false, nil, false
	}
	m = trial.Metrics{}
	for k, v := range raw {
		var x float64
		switch n := v.(type) {
		case json.Number:
			f, err := strconv.ParseFloat(string(n), 64)
			if err != nil {
				return 0, false, nil, false
			}
			x = f
		case string:
			switch n {
			case nanToken:
				x = math.NaN()
			case posInfToken:
				x = math.Inf(1)
			case negInfToken:
				x = math.Inf(-1)
			default:
				return 0, false, nil, false
			}
		default:
			return 0, false, nil, false
		}
		if k == "step" {
			step, hasStep = x, true
			continue
		}
		m[k] = x
	}
	if len(m) == 0 {
		return 0, false, nil, false
	}
	return step, hasStep, m, true
}

// Markers unlikely in real output, standing for Python's bare tokens.
const (
	nanToken    = "\x00NaN"
	posInfToken = "\x00+Inf"
	negInfToken = "\x00-Inf"
)

// quoteNonFinite turns the bare NaN, Infinity and -Infinity tokens outside
// strings into marker strings encoding/json accepts.
func quoteNonFinite(s string) string {
	if !strings.ContainsAny(s, "NI") {
		return s
	}
	var b bytes.Buffer
	inString, escaped := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if inString {
			b.WriteByte(c)
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch {
		case c == '"':
			inString = true
		case strings.HasPrefix(s[i:], "NaN"):
			b.WriteString(`"\u0000NaN"`)
			i += len("NaN") - 1
			continue
		case strings.HasPrefix(s[i:], "Infinity"):
			b.WriteString(`"\u0000+Inf"`)
			i += len("Infinity") - 1
			continue
		case strings.HasPrefix(s[i:], "-Infinity"):
			b.WriteString(`"\u0000-Inf"`)
			i += len("-Infinity") - 1
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
