package report

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"automl/trial"
	"automl/trial/triallog"
)

// The page's data: one JSON document, written by hand where it is big (a
// column per field over the trials, in leaderboard order) so 100,000
// trials take a few megabytes and a fraction of a second. Every string is
// escaped for a <script> element: no "<", ">" or "&" appear raw, so a
// trial's error text cannot close the element (see appendString).

// View sets how the page starts: the leaderboard's initial sort, row
// limit and columns; Live marks the dashboard (which fetches updates).
type View struct {
	Sort    string   `json:"sort,omitempty"`
	Top     int      `json:"top,omitempty"`
	Columns []string `json:"columns,omitempty"`
	Live    bool     `json:"live,omitempty"`
	// DB is the study file as the user names it (--db), for the commands
	// the page shows; "" for the default.
	DB string `json:"db,omitempty"`
}

// dataVersion is the layout of the page's data; the script checks it.
const dataVersion = 1

// AppendJSON appends the study's page data to b.
func (d *Data) AppendJSON(b []byte, v View, generated time.Time) []byte {
	st := d.Study
	resource := "step"
	if d.File != nil && d.File.Resource != "" {
		resource = d.File.Resource
	}
	b = append(b, `{"version":`...)
	b = strconv.AppendInt(b, dataVersion, 10)
	b = append(b, `,"generated":`...)
	b = appendTime(b, generated)
	b = append(b, `,"view":`...)
	b = appendMarshal(b, v)
	b = append(b, `,"study":`...)
	b = appendMarshal(b, map[string]any{
		"name": st.Name, "metric": st.Metric, "direction": st.Direction, "algorithm": st.Algorithm,
		"seed": strconv.FormatUint(st.Seed, 10), "status": st.Status, "reason": st.Reason,
		"space_file": st.SpaceFile, "space_text": string(st.SpaceText), "budget": st.Trials,
		"timeout_s": st.Timeout.Seconds(), "elapsed_s": st.Elapsed.Seconds(), "slots": st.Slots,
		"created": st.Created, "updated": st.Updated, "resource": resource,
		"space_versions": Versions(st),
	})
	b = d.appendSummary(b)
	b = d.appendParams(b)
	cols := Columns(st, d.Rows)
	b = d.appendMetricNames(b, cols)
	b = d.appendTrials(b, cols, slices.Contains(v.Columns, "created"))
	b = d.appendImportance(b)
	b = d.appendCurves(b)
	b = append(b, `,"rungs":`...)
	b = appendFloats(b, d.Rungs)
	b = d.appendLanes(b)
	b = d.appendPareto(b)
	b = d.appendLogs(b)
	if d.Ensemble != nil {
		b = append(b, `,"ensemble":`...)
		b = appendMarshal(b, d.Ensemble)
	}
	return append(b, '}')
}

// appendLogs writes the last lines of failed trials' logs, by trial id:
// {"7": {"attempt": 2, "total": 1234, "dropped": 0, "lines": [[ns, "e",
// "text"], ...]}}.
func (d *Data) appendLogs(b []byte) []byte {
	type log struct {
		Attempt int             `json:"attempt"`
		Total   int             `json:"total"`
		Dropped int64           `json:"dropped,omitempty"`
		Lines   []triallog.Line `json:"lines"`
	}
	m := make(map[string]log, len(d.Logs))
	for id, l := range d.Logs {
		m[strconv.Itoa(id)] = log{l.Attempt, l.Total, l.Dropped, l.Lines}
	}
	b = append(b, `,"logs":`...)
	return appendMarshal(b, m)
}

func (d *Data) appendSummary(b []byte) []byte {
	s := &d.Summary
	counts := map[string]int{}
	for st, n := range s.Counts {
		counts[st.String()] = n
	}
	type reason struct {
		State  string `json:"state"`
		Text   string `json:"text"`
		Detail string `json:"detail,omitempty"`
		Varies bool   `json:"varies,omitempty"`
		Count  int    `json:"count"`
		Trials []int  `json:"trials"`
	}
	reasons := []reason{}
	for _, r := range s.Reasons {
		reasons = append(reasons, reason{r.State.String(), r.Text, r.Detail, r.Varies, r.Count, r.Trials})
	}
	b = append(b, `,"summary":`...)
	return appendMarshal(b, map[string]any{
		"trials": s.Trials, "counts": counts, "wall_s": s.Wall.Seconds(), "busy_s": s.Busy.Seconds(),
		"gpu_hours": finite(s.GPUHours), "slots": s.Slots, "utilisation": finite(s.Utilisation), "reasons": reasons,
		"more_reasons": s.MoreReasons, "more_trials": s.MoreTrials,
		"t0": d.Start.UnixMilli(), "t1": d.Now.UnixMilli(),
	})
}

func (d *Data) appendParams(b []byte) []byte {
	type param struct {
		Name   string  `json:"name"`
		Cat    bool    `json:"cat,omitempty"`
		Int    bool    `json:"int,omitempty"`
		Log    bool    `json:"log,omitempty"`
		Low    float64 `json:"low"`
		High   float64 `json:"high"`
		Levels []any   `json:"levels,omitempty"` // as typed: "adam", 32, true
		Cond   bool    `json:"cond,omitempty"`
	}
	ps := []param{}
	for _, p := range d.Params {
		q := param{Name: p.Name, Cat: p.Categorical, Int: p.Int, Log: p.Log, Low: finite(p.Low), High: finite(p.High), Cond: p.Conditional}
		for _, l := range p.Levels {
			v := l.Any()
			if x, ok := v.(float64); ok && (math.IsNaN(x) || math.IsInf(x, 0)) {
				v = l.String()
			}
			q.Levels = append(q.Levels, v)
		}
		ps = append(ps, q)
	}
	b = append(b, `,"params":`...)
	return appendMarshal(b, ps)
}

// appendTrials writes the trials as columns. Times are milliseconds from
// the timeline's start; who and why index the strings table.
func (d *Data) appendTrials(b []byte, cols []Column, created bool) []byte {
	rows := d.Rows
	strs := map[string]int{}
	var table []string
	intern := func(s string) int {
		if s == "" {
			return -1
		}
		i, ok := strs[s]
		if !ok {
			i = len(table)
			strs[s] = i
			table = append(table, s)
		}
		return i
	}
	lane := make([]int, len(rows))
	for i := range lane {
		lane[i] = -1
	}
	for li, l := range d.Lanes {
		for _, bar := range l.Bars {
			lane[bar.Row] = li
		}
	}
	t0 := d.Start
	col := func(name string, f func(b []byte, i int) []byte) {
		b = append(b, `,"`...)
		b = append(b, name...)
		b = append(b, `":[`...)
		for i := range rows {
			if i > 0 {
				b = append(b, ',')
			}
			b = f(b, i)
		}
		b = append(b, ']')
	}
	b = append(b, `,"trials":{"n":`...)
	b = strconv.AppendInt(b, int64(len(rows)), 10)
	col("id", func(b []byte, i int) []byte { return strconv.AppendInt(b, int64(rows[i].ID), 10) })
	col("rank", func(b []byte, i int) []byte { return strconv.AppendInt(b, int64(rows[i].Rank), 10) })
	col("state", func(b []byte, i int) []byte { return strconv.AppendInt(b, int64(rows[i].State), 10) })
	col("value", func(b []byte, i int) []byte {
		if !rows[i].HasValue {
			return append(b, "null"...)
		}
		return appendFloat(b, rows[i].Value)
	})
	if created { // only when asked for: the page would carry it for nothing
		col("made", func(b []byte, i int) []byte { return appendMillis(b, rows[i].Created, t0) })
	}
	col("start", func(b []byte, i int) []byte { return appendMillis(b, rows[i].Started, t0) })
	col("end", func(b []byte, i int) []byte {
		if rows[i].State == trial.Running {
			return append(b, "null"...)
		}
		return appendMillis(b, rows[i].Finished, t0)
	})
	col("busy", func(b []byte, i int) []byte { return appendFloat(b, math.Round(rows[i].Busy.Seconds()*1e3)/1e3) })
	col("res", func(b []byte, i int) []byte { return appendFloat(b, rows[i].Resource) })
	col("att", func(b []byte, i int) []byte { return strconv.AppendInt(b, int64(rows[i].Attempt), 10) })
	col("lane", func(b []byte, i int) []byte { return strconv.AppendInt(b, int64(lane[i]), 10) })
	col("who", func(b []byte, i int) []byte {
		w := rows[i].Worker
		if len(rows[i].GPUs) > 0 {
			w += " gpu " + strings.Join(rows[i].GPUs, ",")
		}
		return strconv.AppendInt(b, int64(intern(w)), 10)
	})
	col("why", func(b []byte, i int) []byte { return strconv.AppendInt(b, int64(intern(rowWhy(&rows[i]))), 10) })
	// One column per parameter: numbers, or a level's index; null when absent.
	b = append(b, `,"p":[`...)
	for j := range d.Params {
		if j > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		for i, x := range d.coords[j] {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendFloat(b, x)
		}
		b = append(b, ']')
	}
	// One column per metric besides the objective (see appendMetricNames):
	// its final value, null when a trial has none.
	b = append(b, `],"m":[`...)
	k := 0
	for _, c := range cols {
		if c.metric == "" {
			continue
		}
		if k > 0 {
			b = append(b, ',')
		}
		k++
		b = append(b, '[')
		for i := range rows {
			if i > 0 {
				b = append(b, ',')
			}
			if x, ok := rows[i].Metrics[c.metric]; ok {
				b = appendFloat(b, x)
			} else {
				b = append(b, "null"...)
			}
		}
		b = append(b, ']')
	}
	b = append(b, `]},"strings":[`...)
	for i, s := range table {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// appendMetricNames writes the leaderboard's names of the metrics besides
// the objective, in the order of the trials' "m" columns.
func (d *Data) appendMetricNames(b []byte, cols []Column) []byte {
	names := []string{}
	for _, c := range cols {
		if c.metric != "" {
			names = append(names, c.Name)
		}
	}
	b = append(b, `,"metrics":`...)
	return appendMarshal(b, names)
}

func (d *Data) appendImportance(b []byte) []byte {
	type param struct {
		Name  string  `json:"name"`
		Share float64 `json:"share"`
		Main  float64 `json:"main"`
	}
	imp := d.Importance
	ps := []param{}
	for _, p := range imp.Params {
		ps = append(ps, param{p.Name, finite(p.Share), finite(p.Main)})
	}
	b = append(b, `,"importance":`...)
	return appendMarshal(b, map[string]any{"params": ps, "trials": imp.Trials, "explained": finite(imp.Explained), "note": imp.Note,
		"method": "fANOVA on a random forest", "trees": defaultForest.Trees})
}

func (d *Data) appendCurves(b []byte) []byte {
	b = append(b, `,"curves":[`...)
	for k, c := range d.Curves {
		if k > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"row":`...)
		b = strconv.AppendInt(b, int64(c.Row), 10)
		b = append(b, `,"pts":[`...)
		for i, p := range c.Points {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '[')
			b = appendFloat(b, p.Step)
			b = append(b, ',')
			b = appendFloat(b, p.Value)
			b = append(b, ',')
			b = strconv.AppendInt(b, int64(p.Attempt), 10)
			b = append(b, ']')
		}
		b = append(b, "]}"...)
	}
	return append(b, ']')
}

func (d *Data) appendLanes(b []byte) []byte {
	b = append(b, `,"lanes":[`...)
	for i, l := range d.Lanes {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"name":`...)
		b = appendString(b, l.Name)
		b = append(b, `,"busy_s":`...)
		b = appendFloat(b, math.Round(l.Busy.Seconds()*1e3)/1e3)
		b = append(b, `,"n":`...)
		b = strconv.AppendInt(b, int64(len(l.Bars)), 10)
		b = append(b, '}')
	}
	return append(b, ']')
}

// appendFloat writes x, or null when JSON cannot hold it.
func appendFloat(b []byte, x float64) []byte {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return append(b, "null"...)
	}
	return strconv.AppendFloat(b, x, 'g', -1, 64)
}

func appendFloats(b []byte, xs []float64) []byte {
	b = append(b, '[')
	for i, x := range xs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendFloat(b, x)
	}
	return append(b, ']')
}

func appendMillis(b []byte, t, t0 time.Time) []byte {
	if t.IsZero() {
		return append(b, "null"...)
	}
	return strconv.AppendInt(b, t.Sub(t0).Milliseconds(), 10)
}

func appendTime(b []byte, t time.Time) []byte {
	return appendString(b, t.UTC().Format(time.RFC3339))
}

// appendMarshal writes v with encoding/json, which escapes <, > and & (its
// HTML-safe default).
func appendMarshal(b []byte, v any) []byte {
	out, err := json.Marshal(v)
	if err != nil {
		return append(b, "null"...)
	}
	return append(b, out...)
}

// appendString writes s as a JSON string safe inside a <script> element.
func appendString(b []byte, s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	_ = enc.Encode(s) // HTML-escaping on: <, >, &, U+2028 and U+2029 as \u escapes
	return append(b, bytes.TrimRight(buf.Bytes(), "\n")...)
}

func finite(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return x
}
