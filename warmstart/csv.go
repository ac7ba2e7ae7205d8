package warmstart

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"automl/search/value"
	"automl/trial"
)

// leaderboardColumns are the columns of automl report's CSV that are
// neither parameters nor metrics.
var leaderboardColumns = map[string]bool{
	"rank": true, "trial": true, "state": true, "resource": true, "rung": true, "duration": true,
	"duration_s": true, "attempts": true, "worker": true, "note": true,
}

// ReadCSV reads results from CSV: a header row, then one result a row.
// The columns named as the space's parameters give the parameters (an
// empty cell: not given), the column named as the objective's metric its
// value; state (only completed rows are results) and resource are read
// when present; other numeric cells are kept as metrics. automl report
// --format csv writes such a file.
func ReadCSV(t Target, o Origin, data []byte) (Result, error) {
	var r Result
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return r, fmt.Errorf("%s: empty; want a header row (the parameters and %s), then one result a row", o.Name, t.Objective.Metric)
	}
	if err != nil {
		return r, csvError(o.Name, err)
	}
	metricCol, stateCol, resourceCol := -1, -1, -1
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(unquote(h), "\ufeff"))
		header[i] = h
		switch h {
		case t.Objective.Metric:
			metricCol = i
		case "state":
			stateCol = i
		case "resource":
			resourceCol = i
		}
	}
	if metricCol < 0 {
		return r, fmt.Errorf("%s:1:1: no column %q, the objective's metric (columns: %s)", o.Name, t.Objective.Metric, strings.Join(header, ", "))
	}
	dropped := map[string]bool{}
	for n := 0; ; n++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return r, csvError(o.Name, err)
		}
		line, _ := cr.FieldPos(0)
		if n == MaxResults {
			return r, fmt.Errorf("%s:%d: more than %d results; at most %d are imported at once", o.Name, line, MaxResults, MaxResults)
		}
		if len(rec) != len(header) {
			return r, fmt.Errorf("%s:%d:1: %d cells, but the header names %d columns", o.Name, line, len(rec), len(header))
		}
		in := raw{where: fmt.Sprintf("%s:%d", o.Name, line), source: fmt.Sprintf("%s:%d", o.Abs, line), metrics: trial.Metrics{}}
		for i, cell := range rec {
			cell = strings.TrimSpace(unquote(cell))
			name := header[i]
			switch {
			case i == metricCol:
				if cell != "" {
					x, err := strconv.ParseFloat(cell, 64)
					if err != nil {
						l, c := cr.FieldPos(i)
						return r, fmt.Errorf("%s:%d:%d: %s: want a number, got %q", o.Name, l, c, name, cell)
					}
					in.value, in.hasValue = x, true
				}
			case i == stateCol:
				in.state = cell
			case i == resourceCol:
				in.resource, _ = strconv.ParseFloat(cell, 64)
			case t.Space.Index(name) >= 0:
				if cell != "" {
					in.params = append(in.params, value.NamedValue{Name: name, Value: value.String(cell)})
				}
			case !leaderboardColumns[name]:
				if x, err := strconv.ParseFloat(cell, 64); err == nil {
					in.metrics[name] = x
				}
			}
		}
		r.add(t, in, dropped)
	}
	return r, nil
}

// unquote undoes automl report's guard against spreadsheet formulas: a
// cell starting with =, +, -, @, a tab or a carriage return that is not a
// number is written with a leading quote.
func unquote(cell string) string {
	if len(cell) > 1 && cell[0] == '\'' && strings.ContainsAny(cell[1:2], "=+-@\t\r") {
		return cell[1:]
	}
	return cell
}

func csvError(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s:%d:%d: malformed CSV: %v", name, pe.Line, pe.Column, pe.Err)
	}
	return fmt.Errorf("%s: malformed CSV: %v", name, err)
}
