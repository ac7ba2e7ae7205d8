package exec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"automl/trial"
)

// parseMetrics reads a metric line: a flat JSON object whose values are
// all numbers, such as {"step": 3, "val_loss": 0.41}. The bare NaN,
// Infinity and -Infinity Python's json module writes are accepted (and
// then rejected as metrics by the caller, with a clear message). "step",
// when present, is the step and not a metric. Any other line is not a
// metric line (ok false) and belongs to the log; bad says why when the line
// looks like one (a JSON object on one line) but is not, so the program's
// author can be told.
func parseMetrics(line string) (step float64, hasStep bool, m trial.Metrics, ok bool, bad string) {
	line = strings.TrimSpace(line)
	if len(line) < 2 || line[0] != '{' || line[len(line)-1] != '}' {
		return 0, false, nil, false, ""
	}
	notMetrics := func(why string) (float64, bool, trial.Metrics, bool, string) { return 0, false, nil, false, why }
	dec := json.NewDecoder(strings.NewReader(quoteNonFinite(line)))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		if strings.Contains(line, "'") && !strings.Contains(line, `"`) {
			return notMetrics(`it is not JSON: names need double quotes (print json.dumps(metrics), not the dict itself)`)
		}
		return notMetrics("it is not JSON (" + strings.TrimPrefix(err.Error(), "json: ") + ")")
	}
	if dec.More() {
		return notMetrics("it holds more than one JSON value; print one object per line")
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	slices.Sort(keys) // the first bad key named is the same every time
	m = trial.Metrics{}
	for _, k := range keys {
		x, why := metricValue(raw[k])
		if why != "" {
			return notMetrics(fmt.Sprintf("%q %s", k, why))
		}
		if k == "step" {
			step, hasStep = x, true
			continue
		}
		m[k] = x
	}
	if len(m) == 0 {
		if hasStep {
			return notMetrics(`it has no metric besides "step"`)
		}
		return notMetrics("it has no metric")
	}
	return step, hasStep, m, true, ""
}

// metricValue reads one value of a metric line, or says what is wrong
// with it ("is a string (\"abc\"), not a number").
func metricValue(v any) (float64, string) {
	switch n := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(n), 64)
		if err != nil {
			return 0, fmt.Sprintf("is %s, out of the range of a float64", n)
		}
		return f, ""
	case string:
		switch n {
		case nanToken:
			return math.NaN(), ""
		case posInfToken:
			return math.Inf(1), ""
		case negInfToken:
			return math.Inf(-1), ""
		}
		q, _ := json.Marshal(n)
		return 0, "is a string (" + clip(string(q), 40) + "), not a number"
	case bool:
		return 0, "is " + strconv.FormatBool(n) + ", not a number"
	case nil:
		return 0, "is null, not a number"
	case []any:
		return 0, "is a list, not a number"
	}
	return 0, "is an object, not a number"
}

// clip shortens s to about n bytes for a message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
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
