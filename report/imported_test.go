package report

import (
	"bytes"
	"strings"
	"testing"

	"automl/scheduler"
	"automl/search/value"
	"automl/trial"
)

// Imported results are listed apart: after every trial of the study's
// own, unranked, best first among themselves, with where they came from;
// the counts name them; the history plot leaves them out.
func TestImportedResultsApart(t *testing.T) {
	study := &scheduler.Study{Name: "s", Objective: trial.Objective{Metric: "loss", Direction: trial.Minimize}, Trials: 3}
	mk := func(id int, st trial.State, v float64) trial.Record {
		return trial.Record{ID: id, State: st, Value: v, HasValue: st != trial.Failed, Params: value.Values{{Name: "x", Value: value.Float(float64(id))}}}
	}
	recs := []trial.Record{
		mk(0, trial.Imported, 0.01), mk(1, trial.Imported, 0.5), mk(2, trial.Completed, 0.3),
		mk(3, trial.Failed, 0), mk(4, trial.Completed, 0.2), mk(5, trial.Imported, 0.1),
	}
	recs[0].Source, recs[1].Source, recs[5].Source = "/a.db:old/7", "/a.db:old/8", "/r.csv:4"
	rows := Leaderboard(study, recs)
	var got []string
	for _, r := range rows {
		got = append(got, r.State.String()+":"+strings.TrimSpace(strings.Repeat("#", r.Rank)))
	}
	if want := "completed:# completed:## failed: imported: imported: imported:"; strings.Join(got, " ") != want {
		t.Fatalf("leaderboard %s, want %s", strings.Join(got, " "), want)
	}
	if rows[3].ID != 0 || rows[4].ID != 5 || rows[5].ID != 1 {
		t.Fatalf("imported not best first: ids %d %d %d", rows[3].ID, rows[4].ID, rows[5].ID)
	}
	var csv bytes.Buffer
	if err := WriteCSV(&csv, Columns(study, rows), rows); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(csv.String(), ",imported,0.01,0,,,0,,,,,from /a.db:old/7\n") {
		t.Fatalf("CSV row of an imported result:\n%s", csv.String())
	}
	if c := StateCounts(CountStates(rows), 3); c != "2/3 done, 1 failed, 3 imported" {
		t.Fatalf("counts %q", c)
	}
	// The history plot's range: the study's own values (0.2 to 0.3), not
	// the imported 0.01.
	p := historyPlot(&Data{Study: study, Rows: rows})
	if p.Y.Min < 0.1 || p.X.Max > 4.5 {
		t.Fatalf("history plot spans x %g..%g, y %g..%g: imported results are in it", p.X.Min, p.X.Max, p.Y.Min, p.Y.Max)
	}
}
