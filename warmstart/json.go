package warmstart

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"automl/search/value"
	"automl/trial"
)

// ReadJSON reads results from JSON: a list of results, or an object whose
// "trials" is one (what automl report --format json writes, with or
// without --columns). A result is an object: its parameters under
// "params", or as keys named as the space's parameters; the objective's
// value under "metrics" or as the key named as its metric (or "value",
// in a file whose "metric" is the objective's); "state" (only completed
// results count) and "resource" when present.
func ReadJSON(t Target, o Origin, data []byte) (Result, error) {
	var r Result
	var list []json.RawMessage
	metric := "" // the file's objective metric, when it names one
	trimmed := bytes.TrimSpace(data)
	switch {
	case len(trimmed) > 0 && trimmed[0] == '[':
		if err := json.Unmarshal(trimmed, &list); err != nil {
			return r, jsonError(o.Name, data, err)
		}
	default:
		var doc struct {
			Metric string            `json:"metric"`
			Trials []json.RawMessage `json:"trials"`
		}
		if err := json.Unmarshal(trimmed, &doc); err != nil {
			return r, jsonError(o.Name, data, err)
		}
		if doc.Trials == nil {
			return r, fmt.Errorf(`%s: no "trials" list; want a list of results, or {"trials": [...]} as automl report --format json writes`, o.Name)
		}
		list, metric = doc.Trials, doc.Metric
	}
	if len(list) > MaxResults {
		return r, fmt.Errorf("%s: %d results; at most %d are imported at once", o.Name, len(list), MaxResults)
	}
	dropped := map[string]bool{}
	for i, item := range list {
		in, err := jsonResult(t, item, metric)
		if err != nil {
			return r, fmt.Errorf("%s: result %d: %v", o.Name, i+1, err)
		}
		in.where, in.source = fmt.Sprintf("%s#%d", o.Name, i+1), fmt.Sprintf("%s#%d", o.Abs, i+1)
		r.add(t, in, dropped)
	}
	return r, nil
}

// jsonResult reads one result object.
func jsonResult(t Target, item json.RawMessage, fileMetric string) (raw, error) {
	var in raw
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(item, &fields); err != nil || fields == nil {
		return in, fmt.Errorf("want an object of parameters and metrics, got %s", clip(item))
	}
	if p, ok := fields["params"]; ok {
		if err := json.Unmarshal(p, &in.params); err != nil {
			return in, fmt.Errorf("params: %v", err)
		}
	} else {
		// Flat: the keys named as parameters, in the space's order.
		for i := range t.Space.Params {
			name := t.Space.Params[i].Name
			b, ok := fields[name]
			if !ok {
				continue
			}
			var v value.Value
			if err := json.Unmarshal(b, &v); err != nil {
				return in, fmt.Errorf("parameter %q: %v", name, err)
			}
			in.params = append(in.params, value.NamedValue{Name: name, Value: v})
		}
	}
	if m, ok := fields["metrics"]; ok {
		if err := json.Unmarshal(m, &in.metrics); err != nil {
			return in, fmt.Errorf("metrics: %v", err)
		}
	}
	number := func(key string) (float64, bool, error) {
		b, ok := fields[key]
		if !ok || string(b) == "null" {
			return 0, false, nil
		}
		var x float64
		if err := json.Unmarshal(b, &x); err != nil {
			var s string // NaN and infinities travel as strings
			if json.Unmarshal(b, &s) != nil {
				return 0, false, fmt.Errorf("%s: want a number, got %s", key, clip(b))
			}
			if x, err = strconv.ParseFloat(s, 64); err != nil {
				return 0, false, fmt.Errorf("%s: want a number, got %s", key, clip(b))
			}
		}
		return x, true, nil
	}
	metric := t.Objective.Metric
	if v, ok := in.metrics[metric]; ok {
		in.value, in.hasValue = v, true
	} else if x, ok, err := number(metric); err != nil {
		return in, err
	} else if ok {
		in.value, in.hasValue = x, true
	} else if fileMetric == metric {
		if in.value, in.hasValue, err = number("value"); err != nil {
			return in, err
		}
	}
	if s, ok := fields["state"]; ok {
		_ = json.Unmarshal(s, &in.state)
	}
	res, _, err := number("resource")
	if err != nil {
		return in, err
	}
	in.resource = res
	if in.metrics == nil {
		in.metrics = trial.Metrics{}
	}
	return in, nil
}

// jsonError places a syntax error at its line and column.
func jsonError(name string, data []byte, err error) error {
	if se, ok := err.(*json.SyntaxError); ok {
		// The offset counts from the trimmed text and is just past the
		// character at fault.
		lead := len(data) - len(bytes.TrimLeft(data, " \t\r\n"))
		line, col := lineCol(data, lead+int(se.Offset)-1)
		return fmt.Errorf("%s:%d:%d: malformed JSON: %v", name, line, col, se)
	}
	return fmt.Errorf("%s: %v", name, err)
}

func lineCol(data []byte, off int) (int, int) {
	off = min(max(off, 0), len(data))
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := off - bytes.LastIndexByte(data[:off], '\n')
	return line, col
}

func clip(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}
