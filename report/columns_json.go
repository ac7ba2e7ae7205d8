package report

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"automl/scheduler"
)

// WriteJSONColumns writes the study and, for each row, an object with only
// the named columns (in that order), typed for programs: numbers as JSON
// numbers (duration in seconds), parameters as their values, empty cells
// as null.
func WriteJSONColumns(w io.Writer, study *scheduler.Study, rows []Row, names []string) error {
	cols := Columns(study, rows)
	getters := make([]func(r *Row) any, len(names))
	for i, n := range names {
		g, err := jsonCell(study, cols, n)
		if err != nil {
			return err
		}
		getters[i] = g
	}
	var b strings.Builder
	fmt.Fprintf(&b, "{\n  \"study\": %s,\n  \"metric\": %s,\n  \"direction\": %s,\n  \"status\": %s,\n  \"columns\": %s,\n  \"trials\": [",
		mustJSON(study.Name), mustJSON(study.Metric), mustJSON(study.Direction), mustJSON(string(study.Status)), mustJSON(names))
	for i := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n    {")
		for j, n := range names {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString(mustJSON(n))
			b.WriteString(": ")
			b.WriteString(mustJSON(getters[j](&rows[i])))
		}
		b.WriteByte('}')
	}
	if len(rows) > 0 {
		b.WriteString("\n  ")
	}
	b.WriteString("]\n}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func mustJSON(v any) string {
	if x, ok := v.(float64); ok && (math.IsNaN(x) || math.IsInf(x, 0)) {
		v = fmt.Sprint(x) // JSON has no NaN; trial.Metrics writes it as a string too
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "null"
	}
	return string(b)
}

func jsonCell(study *scheduler.Study, cols []Column, name string) (func(r *Row) any, error) {
	switch name {
	case "rank":
		return func(r *Row) any { return nilIf(r.Rank == 0, r.Rank) }, nil
	case "trial":
		return func(r *Row) any { return r.ID }, nil
	case "state":
		return func(r *Row) any { return r.State.String() }, nil
	case study.Metric:
		return func(r *Row) any { return nilIf(!r.HasValue, r.Value) }, nil
	case "resource":
		return func(r *Row) any { return nilIf(r.Resource == 0, r.Resource) }, nil
	case "duration":
		return func(r *Row) any { return nilIf(r.Busy == 0, r.Busy.Seconds()) }, nil
	case "attempts":
		return func(r *Row) any { return r.Attempt }, nil
	case "space_version":
		if len(study.SpaceVersions) > 0 {
			return func(r *Row) any { return r.SpaceVersion }, nil
		}
	}
	i := slices.IndexFunc(cols, func(c Column) bool { return c.Name == name })
	if i < 0 {
		_, err := sortKey(study, cols, name) // the same error as --sort
		return nil, err
	}
	if name == "worker" || name == "note" {
		get := cols[i].Get
		return func(r *Row) any { s := get(r); return nilIf(s == "", s) }, nil
	}
	return func(r *Row) any { // a parameter
		v, ok := r.Params.Get(name)
		if !ok {
			return nil
		}
		return v.Any()
	}, nil
}

func nilIf(cond bool, v any) any {
	if cond {
		return nil
	}
	return v
}
