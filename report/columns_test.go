package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"automl/trial"
)

// metricRows: trials that reported more than the objective (loss), one
// metric named like a parameter (x) and one like a column (state).
func metricRows() []Row {
	recs := []trial.Record{
		rec(0, trial.Completed, "w", nil, 0, 3*time.Second),
		rec(1, trial.Completed, "w", nil, time.Second, 1247*time.Millisecond),
		rec(2, trial.Failed, "w", nil, 0, 2*time.Second),
		rec(3, trial.Pending, "", nil, -1, 0),
		rec(4, trial.Completed, "w", nil, 0, 10*time.Second),
	}
	recs[0].Metrics = trial.Metrics{"loss": 10, "test_accuracy": 0.91, "val_loss": 0.25, "x": 7, "state": 1}
	recs[1].Metrics = trial.Metrics{"loss": 9, "test_accuracy": 0.955, "val_loss": 1.0 / 3}
	recs[2].Metrics = trial.Metrics{"val_loss": 2}
	recs[2].Error = "boom"
	recs[4].Metrics = trial.Metrics{"loss": 6, "test_accuracy": 0.8}
	return Leaderboard(study(), recs)
}

func names(cols []Column, format string) []string {
	out := make([]string, len(cols))
	for i := range cols {
		out[i] = cols[i].Header(format)
	}
	return out
}

// Every metric a trial reported is a column (its final value); one named
// like an earlier column is "metric:NAME"; each format shows its own set
// unless told, and + adds to it.
func TestColumnsOfMetricsAndFormats(t *testing.T) {
	st, rows := study(), metricRows()
	cols := Columns(st, rows)
	all := []string{"rank", "trial", "state", "loss", "x", "metric:state", "test_accuracy", "val_loss", "metric:x",
		"resource", "duration", "attempts", "worker", "created", "started", "finished", "note"}
	if got := names(cols, "md"); !slices.Equal(got, all) {
		t.Fatalf("columns %v\nwant %v", got, all)
	}
	for _, tc := range []struct {
		format string
		names  []string
		want   []string
	}{
		{"md", nil, []string{"rank", "trial", "state", "loss", "x", "resource", "duration", "attempts", "worker", "note"}},
		{"table", nil, []string{"rank", "trial", "state", "loss", "x", "resource", "duration", "attempts", "worker", "note"}},
		{"html", nil, []string{"rank", "trial", "state", "loss", "x", "metric:state", "test_accuracy", "val_loss", "metric:x", "resource", "duration", "attempts", "worker", "note"}},
		{"csv", nil, []string{"rank", "trial", "state", "loss", "x", "metric:state", "test_accuracy", "val_loss", "metric:x", "resource", "duration_s", "attempts", "worker", "created", "started", "finished", "note"}},
		{"md", []string{"trial", "test_accuracy", "duration_s", "ended"}, []string{"trial", "test_accuracy", "duration", "finished"}},
		{"csv", []string{"trial", "test_accuracy", "duration", "started"}, []string{"trial", "test_accuracy", "duration_s", "started"}},
		{"md", []string{"+started", "+test_accuracy", "+trial"}, []string{"rank", "trial", "state", "loss", "x", "test_accuracy", "resource", "duration", "attempts", "worker", "started", "note"}},
		{"md", []string{"metric:x", "x"}, []string{"metric:x", "x"}},
	} {
		sel, err := SelectColumns(cols, tc.names, tc.format)
		if err != nil {
			t.Fatalf("%s %v: %v", tc.format, tc.names, err)
		}
		if got := names(sel, tc.format); !slices.Equal(got, tc.want) {
			t.Errorf("%s %v: %v\nwant %v", tc.format, tc.names, got, tc.want)
		}
	}
	_, err := SelectColumns(cols, []string{"trial", "test_acuracy"}, "md")
	if !errors.Is(err, ErrUnknownColumn) || !strings.Contains(err.Error(), `unknown column "test_acuracy" (did you mean "test_accuracy"?); columns: rank, trial,`) ||
		!strings.Contains(err.Error(), "val_loss") || !strings.Contains(err.Error(), "duration, duration_s") {
		t.Errorf("misspelt column: %v", err)
	}
	if _, err := SelectColumns(cols, []string{"+trial", "loss"}, "md"); err == nil || !strings.Contains(err.Error(), "give + on every column") {
		t.Errorf("+ on some names only: %v", err)
	}
	if c, err := FindColumn(cols, "state"); err != nil || c.Name != "state" {
		t.Errorf("state is the trial's state, not the metric: %v %v", c.Name, err)
	}
}

// CSV is for programs: durations are plain seconds under duration_s,
// times RFC 3339, every metric with every digit; no units anywhere.
func TestWriteCSVForPrograms(t *testing.T) {
	st, rows := study(), metricRows()
	cols, err := SelectColumns(Columns(st, rows), nil, "csv")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteCSV(&b, cols, rows); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil || len(recs) != 6 {
		t.Fatalf("%v %d records:\n%s", err, len(recs), b.String())
	}
	at := map[string]int{}
	for i, h := range recs[0] {
		at[h] = i
	}
	byID := map[string][]string{}
	for _, r := range recs[1:] {
		byID[r[at["trial"]]] = r
	}
	one := byID["1"]
	if d, err := strconv.ParseFloat(one[at["duration_s"]], 64); err != nil || d != 0.247 {
		t.Errorf("duration_s %q (%v), want 0.247 seconds", one[at["duration_s"]], err)
	}
	if x, err := strconv.ParseFloat(one[at["val_loss"]], 64); err != nil || x != 1.0/3 {
		t.Errorf("val_loss %q: want every digit of 1/3", one[at["val_loss"]])
	}
	if one[at["test_accuracy"]] != "0.955" || byID["4"][at["val_loss"]] != "" || byID["0"][at["metric:x"]] != "7" {
		t.Errorf("metrics: %v / %v / %v", one, byID["4"], byID["0"])
	}
	if tm, err := time.Parse(time.RFC3339, one[at["started"]]); err != nil || !tm.Equal(t0.Add(time.Second)) {
		t.Errorf("started %q (%v), want %v", one[at["started"]], err, t0.Add(time.Second))
	}
	if p := byID["3"]; p[at["started"]] != "" || p[at["finished"]] != "" || p[at["duration_s"]] != "" {
		t.Errorf("a trial that never ran has times: %v", p)
	}
	for _, r := range recs[1:] {
		for i, cell := range r {
			if strings.HasSuffix(cell, "ms") || strings.HasSuffix(cell, "µs") || recs[0][i] == "duration_s" && strings.HasSuffix(cell, "s") {
				t.Errorf("a unit in %s: %q", recs[0][i], cell)
			}
		}
	}
	// People's form in Markdown: the duration with its unit.
	b.Reset()
	md, _ := SelectColumns(Columns(st, rows), []string{"trial", "duration", "test_accuracy"}, "md")
	if err := WriteMarkdown(&b, md, rows); err != nil || !strings.Contains(b.String(), "| 1 | 247ms | 0.955 |") {
		t.Errorf("markdown (%v):\n%s", err, b.String())
	}
}

// --sort takes a metric, a time or either name of a duration; empty cells
// last.
func TestSortByMetricsAndTimes(t *testing.T) {
	for _, tc := range []struct {
		spec string
		want []int
	}{
		{"-test_accuracy", []int{1, 0, 4, 3, 2}},
		{"test_accuracy", []int{4, 0, 1, 3, 2}},
		{"val_loss", []int{0, 1, 2, 4, 3}},
		{"-started", []int{1, 4, 0, 2, 3}}, // 4, 0 and 2 started together: leaderboard order
		{"duration_s", []int{1, 2, 0, 4, 3}},
		{"-ended", []int{4, 0, 2, 1, 3}},
	} {
		rows := metricRows()
		if err := SortRows(study(), rows, tc.spec); err != nil {
			t.Fatalf("%s: %v", tc.spec, err)
		}
		if got := ids(rows); !slices.Equal(got, tc.want) {
			t.Errorf("sort %s = %v, want %v", tc.spec, got, tc.want)
		}
	}
	if err := SortRows(study(), metricRows(), "-test_acc"); !errors.Is(err, ErrUnknownColumn) || !strings.Contains(err.Error(), `did you mean "test_accuracy"`) {
		t.Errorf("unknown sort column: %v", err)
	}
}

// JSON numbers: the typed columns and the whole document give seconds
// (duration_s), never Go's nanoseconds.
func TestJSONDurationsInSeconds(t *testing.T) {
	st, rows := study(), metricRows()
	var b bytes.Buffer
	if err := WriteJSONColumns(&b, st, rows, []string{"trial", "test_accuracy", "duration", "started"}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Columns []string
		Trials  []map[string]any
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(doc.Columns, []string{"trial", "test_accuracy", "duration_s", "started"}) {
		t.Errorf("columns %v", doc.Columns)
	}
	for _, tr := range doc.Trials {
		if tr["trial"] == 1.0 && (tr["test_accuracy"] != 0.955 || tr["duration_s"] != 0.247 || tr["started"] != "2026-05-01T12:00:01.000Z") {
			t.Errorf("trial 1: %v", tr)
		}
	}
	b.Reset()
	if err := WriteJSON(&b, st, rows, nil); err != nil {
		t.Fatal(err)
	}
	var full struct{ Trials []map[string]any }
	if err := json.Unmarshal(b.Bytes(), &full); err != nil {
		t.Fatal(err)
	}
	for _, tr := range full.Trials {
		if _, ok := tr["busy"]; ok {
			t.Errorf("trial %v: busy in nanoseconds is still there", tr["id"])
		}
		if tr["id"] == 1.0 && tr["duration_s"] != 0.247 {
			t.Errorf("trial 1: duration_s %v, want 0.247", tr["duration_s"])
		}
	}
}

// The page's data carries every metric, so its leaderboard can show and
// sort them.
func TestPageDataHasMetrics(t *testing.T) {
	recs := make([]trial.Record, 0, 5)
	for _, r := range metricRows() {
		recs = append(recs, r.Record)
	}
	d := Build(Input{Study: study(), Trials: recs, Now: t0.Add(time.Minute)})
	var data struct {
		Metrics []string `json:"metrics"`
		Trials  struct {
			ID   []int        `json:"id"`
			Made []*int64     `json:"made"`
			M    [][]*float64 `json:"m"`
		} `json:"trials"`
	}
	if err := json.Unmarshal(d.AppendJSON(nil, View{Columns: []string{"trial", "created"}}, t0), &data); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(data.Metrics, []string{"metric:state", "test_accuracy", "val_loss", "metric:x"}) || len(data.Trials.M) != 4 || len(data.Trials.Made) != 5 {
		t.Fatalf("metrics %v, %d columns, %d created", data.Metrics, len(data.Trials.M), len(data.Trials.Made))
	}
	if bytes.Contains(d.AppendJSON(nil, View{}, t0), []byte(`"made":`)) {
		t.Error("the page carries when trials were created though its leaderboard does not show it")
	}
	for i, id := range data.Trials.ID {
		x := data.Trials.M[1][i]
		want, ok := map[int]float64{0: 0.91, 1: 0.955, 4: 0.8}[id]
		if (x != nil) != ok || ok && *x != want {
			t.Errorf("trial %d: test_accuracy %v, want %v", id, x, want)
		}
	}
}
