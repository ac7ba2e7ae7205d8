package report

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"automl/scheduler"
)

// WriteJSONColumns writes the study and, for each row, an object with only
// the named columns (in that order; see SelectColumns), typed for
// programs: numbers as JSON numbers (durations in seconds, as duration_s),
// times as RFC 3339 strings, parameters as their values, empty cells as
// null.
func WriteJSONColumns(w io.Writer, study *scheduler.Study, rows []Row, names []string) error {
	cols, err := SelectColumns(Columns(study, rows), names, "json")
	if err != nil {
		return err
	}
	heads := make([]string, len(cols))
	for i := range cols {
		heads[i] = cols[i].Header("json")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "{\n  \"study\": %s,\n  \"metric\": %s,\n  \"direction\": %s,\n  \"status\": %s,\n  \"columns\": %s,\n  \"trials\": [",
		mustJSON(study.Name), mustJSON(study.Metric), mustJSON(study.Direction), mustJSON(string(study.Status)), mustJSON(heads))
	for i := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n    {")
		for j := range cols {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString(mustJSON(heads[j]))
			b.WriteString(": ")
			b.WriteString(mustJSON(cols[j].Data(&rows[i])))
		}
		b.WriteByte('}')
	}
	if len(rows) > 0 {
		b.WriteString("\n  ")
	}
	b.WriteString("]\n}\n")
	_, err = io.WriteString(w, b.String())
	return err
}

func mustJSON(v any) string {
	switch x := v.(type) {
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			v = fmt.Sprint(x) // JSON has no NaN; trial.Metrics writes it as a string too
		}
	case time.Time:
		v = dataText(x) // to the millisecond, as in CSV
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "null"
	}
	return string(b)
}
