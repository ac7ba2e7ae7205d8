package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"testing"
	"time"

	"automl/scheduler"
	"automl/search/value"
	"automl/trial"
)

func sortRows() (*scheduler.Study, []Row) {
	st := study()
	recs := []trial.Record{
		rec(0, trial.Completed, "w", nil, 0, 3*time.Second),
		rec(1, trial.Completed, "w", nil, 0, 1*time.Second),
		rec(2, trial.Failed, "w", nil, 0, 2*time.Second),
		rec(3, trial.Pending, "", nil, -1, 0),
		rec(4, trial.Completed, "w", nil, 0, 10*time.Second),
	}
	recs[2].Error = "boom"
	recs[1].Params = value.Values{{Name: "x", Value: value.Float(-5)}, {Name: "opt", Value: value.String("sgd")}}
	recs[4].Params = append(recs[4].Params, value.NamedValue{Name: "opt", Value: value.String("adam")})
	return st, Leaderboard(st, recs)
}

func ids(rows []Row) []int {
	out := make([]int, len(rows))
	for i := range rows {
		out[i] = rows[i].ID
	}
	return out
}

func TestSortRows(t *testing.T) {
	for _, tc := range []struct {
		spec string
		want []int
	}{
		{"", []int{4, 1, 0, 3, 2}},                // the leaderboard: best first
		{"rank", []int{4, 1, 0, 3, 2}},            // unranked last, in leaderboard order
		{"-rank", []int{0, 1, 4, 3, 2}},           // unranked still last
		{"duration", []int{1, 2, 0, 4, 3}},        // as durations, not text ("10s" > "3s")
		{"-duration", []int{4, 0, 2, 1, 3}},       // empty (never ran) last
		{"x", []int{1, 0, 2, 3, 4}},               // numbers in numeric order
		{"opt", []int{4, 1, 0, 3, 2}},             // text; missing last
		{"state,-trial", []int{4, 1, 0, 2, 3}},    // completed < failed < pending as text, then id descending
		{"-loss", []int{0, 1, 4, 3, 2}},           // the metric by its name
		{" trial , ", []int{0, 1, 2, 3, 4}},       // spaces and empty fields
		{"+attempts,trial", []int{0, 1, 2, 3, 4}}, // + is ascending
	} {
		st, rows := sortRows()
		if err := SortRows(st, rows, tc.spec); err != nil {
			t.Fatalf("%q: %v", tc.spec, err)
		}
		if got := ids(rows); !slices.Equal(got, tc.want) {
			t.Errorf("sort %q = %v, want %v", tc.spec, got, tc.want)
		}
	}
	st, rows := sortRows()
	if err := SortRows(st, rows, "trial,bogus"); !errors.Is(err, ErrUnknownColumn) {
		t.Errorf("unknown column: %v", err)
	}
}

func TestWriteJSONColumns(t *testing.T) {
	st, rows := sortRows()
	var b bytes.Buffer
	if err := WriteJSONColumns(&b, st, rows, []string{"trial", "rank", "loss", "x", "opt", "duration", "note", "state"}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Study   string           `json:"study"`
		Columns []string         `json:"columns"`
		Trials  []map[string]any `json:"trials"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if doc.Study != "s" || len(doc.Trials) != 5 || !slices.Equal(doc.Columns, []string{"trial", "rank", "loss", "x", "opt", "duration_s", "note", "state"}) {
		t.Fatalf("doc %+v", doc)
	}
	best, failed := doc.Trials[0], doc.Trials[4]
	if best["trial"] != 4.0 || best["rank"] != 1.0 || best["loss"] != 6.0 || best["x"] != 4.0 || best["opt"] != "adam" || best["duration_s"] != 10.0 || best["note"] != nil {
		t.Errorf("best row %v", best)
	}
	if failed["rank"] != nil || failed["loss"] != nil || failed["note"] != "boom" || failed["state"] != "failed" || failed["opt"] != nil {
		t.Errorf("failed row %v", failed)
	}
	if err := WriteJSONColumns(&b, st, rows, []string{"nope"}); !errors.Is(err, ErrUnknownColumn) {
		t.Errorf("unknown column: %v", err)
	}
}

// TestWriteJSONMatchesScheduler: the streaming writer writes the same
// bytes as scheduler.WriteJSON.
func TestWriteJSONMatchesScheduler(t *testing.T) {
	d := fixtureData(t, 1500, true) // several chunks of rows
	for _, rows := range [][]Row{d.Rows, d.Rows[:1], nil, d.Rows[len(d.Rows)-3:], d.Rows[:513]} {
		var want, got bytes.Buffer
		if err := referenceJSON(&want, d.Study, rows); err != nil {
			t.Fatal(err)
		}
		if err := WriteJSON(&got, d.Study, rows, nil); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Fatalf("%d rows: output differs:\n%s\nwant\n%s", len(rows), got.String(), want.String())
		}
	}
}

// referenceJSON is WriteJSON in the plain way (json.MarshalIndent of the
// whole document): WriteJSON must write it byte for byte.
func referenceJSON(w io.Writer, study *scheduler.Study, rows []Row) error {
	type doc struct {
		Study     string `json:"study"`
		Metric    string `json:"metric"`
		Direction string `json:"direction"`
		Status    string `json:"status"`
		Trials    []Row  `json:"trials"`
		Best      *Row   `json:"best,omitempty"`
	}
	d := doc{Study: study.Name, Metric: study.Metric, Direction: study.Direction.String(), Status: string(study.Status), Trials: rows}
	if d.Trials == nil {
		d.Trials = []Row{}
	}
	if len(rows) > 0 && rows[0].Rank == 1 {
		d.Best = &rows[0]
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(d)
}

func TestStateCounts(t *testing.T) {
	c := map[trial.State]int{trial.Completed: 48, trial.Failed: 2, trial.Running: 1, trial.Stopped: 3}
	if got, want := StateCounts(c, 50), "48/50 done, 1 running, 3 stopped, 2 failed"; got != want {
		t.Errorf("StateCounts = %q, want %q", got, want)
	}
	if got, want := StateCounts(map[trial.State]int{trial.Pending: 4}, 0), "0 done, 4 pending"; got != want {
		t.Errorf("StateCounts without a budget = %q, want %q", got, want)
	}
	rows := []Row{{Record: trial.Record{State: trial.Failed}}, {Record: trial.Record{State: trial.Failed}}, {Record: trial.Record{State: trial.Completed}}}
	if c := CountStates(rows); c[trial.Failed] != 2 || c[trial.Completed] != 1 || len(c) != 2 {
		t.Errorf("CountStates = %v", c)
	}
}
