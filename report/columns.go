package report

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"automl/internal/suggest"
	"automl/scheduler"
	"automl/trial"
)

// Column is one column of an exported leaderboard. Each cell has two
// forms: Get, for people (Markdown, the terminal: "3.2s", 6 digits), and
// Data, for programs (CSV and JSON: seconds as a number, RFC 3339 times,
// every digit). A column whose two forms differ in unit has a second name
// for programs (duration is duration_s in CSV and JSON); either name
// selects it.
type Column struct {
	Name string
	// DataName heads the column in CSV and JSON; empty when it is Name.
	DataName string
	Get      func(r *Row) string
	// Data is the cell for programs: a float64, int, string, bool, int64 or
	// time.Time; nil for an empty cell.
	Data func(r *Row) any
	show shownIn
	// metric is the metric a column of metrics shows (by its key in
	// Record.Metrics).
	metric string
	// text and key are Data as CSV text and as a sort key, without
	// boxing every cell in an interface; nil: from Data.
	text func(r *Row) string
	key  func(r *Row) sortCell
}

// dataText is the cell for programs as CSV text.
func (c *Column) dataText(r *Row) string {
	if c.text != nil {
		return c.text(r)
	}
	return dataText(c.Data(r))
}

// sortKey is the cell's sort key.
func (c *Column) sortKey(r *Row) sortCell {
	if c.key != nil {
		return c.key(r)
	}
	return cellKey(c.Data(r))
}

// shownIn says in which formats a column appears without being named.
type shownIn int

const (
	everywhere shownIn = iota
	wideOnly           // the metrics besides the objective: csv, json and the HTML leaderboard
	csvOnly            // timestamps: csv and json
)

// Header is the column's name in a format: its DataName in csv and json.
func (c *Column) Header(format string) string {
	if (format == "csv" || format == "json") && c.DataName != "" {
		return c.DataName
	}
	return c.Name
}

// aliases are other names a user may give a column.
var aliases = map[string]string{"ended": "finished", "busy": "duration", "busy_s": "duration"}

// Columns returns every column of the leaderboard: rank, trial, state, the
// objective's value (in a study of several objectives, the Pareto rank
// and every objective; with constraints, feasible and violation), each parameter, every other metric the trials
// reported (its final value), the resource reached (and the rung, in a
// multi-fidelity study), duration, attempts, worker, when the trial was
// created, started and finished, and a note (why a trial failed, was
// pruned or stopped: see Why). A metric named like a column before it
// (a parameter, say) is "metric:NAME".
func Columns(study *scheduler.Study, rows []Row) []Column {
	cols := []Column{
		intColumn("rank", func(r *Row) (int, bool) { return r.Rank, r.Rank > 0 }),
		intColumn("trial", func(r *Row) (int, bool) { return r.ID, true }),
		textColumn("state", func(r *Row) string { return r.State.String() }),
		floatColumn(study.Metric, func(r *Row) (float64, bool) { return r.Value, r.HasValue }),
	}
	goals := study.Goals()
	cols = append(cols, goalColumns(goals)...)
	for _, name := range ParamNames(rows) {
		get := func(r *Row) string {
			if v, ok := r.Params.Get(name); ok {
				return v.String()
			}
			return ""
		}
		cols = append(cols, Column{
			Name: name, Get: get, text: get,
			Data: func(r *Row) any {
				if v, ok := r.Params.Get(name); ok {
					return v.Any()
				}
				return nil
			},
		})
	}
	taken := map[string]bool{}
	for _, c := range cols {
		taken[c.Name] = true
	}
	for _, name := range MetricNames(rows) {
		if slices.ContainsFunc(goals.Objectives, func(o trial.Objective) bool { return o.Metric == name }) {
			continue
		}
		col := floatColumn(name, func(r *Row) (float64, bool) { x, ok := r.Metrics[name]; return x, ok })
		if taken[name] || builtin[name] {
			col.Name = "metric:" + name
		}
		col.show, col.metric = wideOnly, name
		cols = append(cols, col)
	}
	cols = append(cols, floatColumn("resource", func(r *Row) (float64, bool) { return r.Resource, r.Resource != 0 }))
	if multiFidelity(rows) {
		cols = append(cols, intColumn("rung", func(r *Row) (int, bool) { return r.Rung, true }))
	}
	if len(study.SpaceVersions) > 0 {
		cols = append(cols, intColumn("space_version", func(r *Row) (int, bool) { return r.SpaceVersion, true }))
	}
	cols = append(cols,
		Column{
			Name: "duration", DataName: "duration_s",
			Get: func(r *Row) string {
				if r.Busy == 0 {
					return ""
				}
				return formatDuration(r.Busy)
			},
			Data: func(r *Row) any { return nilIf(r.Busy == 0, r.Busy.Seconds()) },
			text: func(r *Row) string {
				if r.Busy == 0 {
					return ""
				}
				return strconv.FormatFloat(r.Busy.Seconds(), 'g', -1, 64)
			},
			key: func(r *Row) sortCell { return sortCell{x: r.Busy.Seconds(), ok: r.Busy != 0} },
		},
		intColumn("attempts", func(r *Row) (int, bool) { return r.Attempt, true }),
		textColumn("worker", func(r *Row) string {
			if len(r.GPUs) > 0 {
				return r.Worker + " gpu " + strings.Join(r.GPUs, ",")
			}
			return r.Worker
		}),
		timeColumn("created", func(r *Row) time.Time { return r.Created }),
		timeColumn("started", func(r *Row) time.Time { return r.Started }),
		timeColumn("finished", func(r *Row) time.Time {
			if r.State == trial.Running || r.State == trial.Pending {
				return time.Time{} // an earlier attempt's end
			}
			return r.Finished
		}),
		textColumn("note", rowWhy),
	)
	return cols
}

// builtin are the names of the columns every leaderboard may have: a
// metric so named is "metric:NAME".
var builtin = map[string]bool{"rank": true, "trial": true, "state": true, "resource": true, "rung": true, "duration": true,
	"duration_s": true, "space_version": true, "attempts": true, "worker": true, "created": true, "started": true, "finished": true, "note": true,
	"pareto_rank": true, "feasible": true, "violation": true}

// MetricNames lists, sorted, every metric whose final value a trial in
// rows reported.
func MetricNames(rows []Row) []string {
	seen := map[string]bool{}
	for i := range rows {
		for k := range rows[i].Metrics {
			seen[k] = true
		}
	}
	names := make([]string, 0, len(seen))
	for k := range seen {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

func intColumn(name string, get func(r *Row) (int, bool)) Column {
	c := Column{
		Name: name,
		Get: func(r *Row) string {
			if n, ok := get(r); ok {
				return strconv.Itoa(n)
			}
			return ""
		},
		Data: func(r *Row) any { n, ok := get(r); return nilIf(!ok, n) },
		key:  func(r *Row) sortCell { n, ok := get(r); return sortCell{x: float64(n), ok: ok} },
	}
	c.text = c.Get
	return c
}

func floatColumn(name string, get func(r *Row) (float64, bool)) Column {
	return Column{
		Name: name,
		Get: func(r *Row) string {
			if x, ok := get(r); ok {
				return formatFloat(x)
			}
			return ""
		},
		Data: func(r *Row) any { x, ok := get(r); return nilIf(!ok, x) },
		text: func(r *Row) string {
			if x, ok := get(r); ok {
				return strconv.FormatFloat(x, 'g', -1, 64)
			}
			return ""
		},
		key: func(r *Row) sortCell { x, ok := get(r); return cellKey(nilIf(!ok, x)) },
	}
}

func textColumn(name string, get func(r *Row) string) Column {
	return Column{Name: name, Get: get, Data: func(r *Row) any { s := get(r); return nilIf(s == "", s) }, text: get,
		key: func(r *Row) sortCell { s := get(r); return sortCell{x: math.Inf(1), s: s, ok: s != ""} }}
}

// timeColumn is a time in UTC: RFC 3339 to the second for people, to the
// millisecond for programs.
func timeColumn(name string, get func(r *Row) time.Time) Column {
	return Column{
		Name: name,
		Get: func(r *Row) string {
			if t := get(r); !t.IsZero() {
				return t.UTC().Format(time.RFC3339)
			}
			return ""
		},
		Data: func(r *Row) any { t := get(r); return nilIf(t.IsZero(), t) },
		text: func(r *Row) string {
			if t := get(r); !t.IsZero() {
				return t.UTC().Format(rfc3339Millis)
			}
			return ""
		},
		key:  func(r *Row) sortCell { t := get(r); return sortCell{x: float64(t.UnixNano()), ok: !t.IsZero()} },
		show: csvOnly,
	}
}

// dataText is a program's cell as CSV text: numbers with every digit, no
// units; times in RFC 3339, UTC, to the millisecond.
func dataText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case time.Time:
		return x.UTC().Format(rfc3339Millis)
	case string:
		return x
	}
	return fmt.Sprint(v)
}

const rfc3339Millis = "2006-01-02T15:04:05.000Z07:00"

// SelectColumns picks the columns for a format (md, csv, json, html, or
// table for the terminal). With no names, the format's own: every column
// in csv and json; the HTML leaderboard leaves out the timestamps; md and
// the terminal also the metrics besides the objective. Otherwise the named
// columns, in that order, or, when every name starts with "+", the
// format's own and those, each in its usual place. An unknown name is an
// error listing the columns there are, with the nearest one.
func SelectColumns(cols []Column, names []string, format string) ([]Column, error) {
	plus := 0
	for _, n := range names {
		if strings.HasPrefix(n, "+") {
			plus++
		}
	}
	if plus > 0 && plus < len(names) {
		return nil, fmt.Errorf("give + on every column to add them to the usual ones, or on none to choose the columns; got %s", strings.Join(names, ","))
	}
	named := make([]int, len(names))
	for k, n := range names {
		i, err := findColumn(cols, strings.TrimPrefix(n, "+"))
		if err != nil {
			return nil, err
		}
		named[k] = i
	}
	if plus == 0 && len(names) > 0 {
		out := make([]Column, len(named))
		for k, i := range named {
			out[k] = cols[i]
		}
		return out, nil
	}
	narrow := format == "md" || format == "markdown" || format == "table"
	var out []Column
	for i, c := range cols {
		if c.show == everywhere || c.show == wideOnly && !narrow || format == "csv" || format == "json" || slices.Contains(named, i) {
			out = append(out, c)
		}
	}
	return out, nil
}

// FindColumn finds a column by its name, its name for programs
// (duration_s), or another name it is known by (ended for finished). A
// metric renamed "metric:NAME" is also found by its own name. Not found:
// an error (ErrUnknownColumn) listing the columns there are, with the
// nearest one.
func FindColumn(cols []Column, name string) (Column, error) {
	i, err := findColumn(cols, name)
	if err != nil {
		return Column{}, err
	}
	return cols[i], nil
}

func findColumn(cols []Column, name string) (int, error) {
	find := func(name string) int {
		return slices.IndexFunc(cols, func(c Column) bool { return c.Name == name || c.DataName == name })
	}
	i := find(name)
	if i < 0 && aliases[name] != "" {
		i = find(aliases[name])
	}
	if i < 0 { // a metric renamed because a column took its name
		i = find("metric:" + name)
	}
	if i >= 0 {
		return i, nil
	}
	var all []string
	for _, c := range cols {
		all = append(all, c.Name)
		if c.DataName != "" {
			all = append(all, c.DataName)
		}
	}
	hint := suggest.Hint(name, all)
	if hint == "" { // a name cut short: test_acc
		var starting []string
		for _, c := range all {
			if len(name) >= 3 && strings.HasPrefix(c, name) {
				starting = append(starting, c)
			}
		}
		if len(starting) == 1 {
			hint = fmt.Sprintf(" (did you mean %q?)", starting[0])
		}
	}
	return -1, fmt.Errorf("%w %q%s; columns: %s", ErrUnknownColumn, name, hint, strings.Join(all, ", "))
}

func formatFloat(x float64) string {
	if math.Abs(x) >= 1e-4 && math.Abs(x) < 1e7 || x == 0 {
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return strconv.FormatFloat(x, 'g', 8, 64)
}

func formatDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(100 * time.Microsecond).String()
	case d < time.Minute:
		return d.Round(10 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

func nilIf(cond bool, v any) any {
	if cond {
		return nil
	}
	return v
}
