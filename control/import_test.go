package control_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"automl/control"
	"automl/plugins/funcs"
	"automl/scheduler"
	"automl/search/value"
	"automl/trial"
)

// results are n results of an earlier study of Branin, as automl import
// brings them from /data/earlier.csv (a line each).
func results(n int) []trial.Record {
	out := make([]trial.Record, n)
	for i := range out {
		x0, x1 := float64(i), float64(2*i)
		out[i] = trial.Record{State: trial.Imported, Params: value.Values{{Name: "x0", Value: value.Float(x0)}, {Name: "x1", Value: value.Float(x1)}},
			Value: 10 + x0, HasValue: true, Metrics: trial.Metrics{"value": 10 + x0}, Source: fmt.Sprintf("/data/earlier.csv:%d", i+2)}
	}
	return out
}

// Import adds results to a stopped study in one commit, with the next
// ids and an entry in the study's history; the same results again add
// nothing; the study continues with its own trials after them, the
// imported ones outside its budget.
func TestImportIntoAStoppedStudy(t *testing.T) {
	h := newHarness(t, "warm", 3)
	if _, err := h.run(funcs.Runner{}, 1, control.Flags{}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	req := control.Request{Op: "import", By: "ana@box", Command: "automl import warm --from /data/earlier.csv"}
	res, err := control.Import(ctx, h.store, "warm", results(5), req, now)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(res.IDs) != "[3 4 5 6 7]" || res.Duplicates != 0 {
		t.Fatalf("import: %+v, want ids 3..7", res)
	}
	again, err := control.Import(ctx, h.store, "warm", results(6), req, now)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(again.IDs) != "[8]" || again.Duplicates != 5 {
		t.Fatalf("import of 6 results, 5 of them already in the study: %+v", again)
	}
	st := h.load()
	if st.Snapshot.NextID != 9 || st.Study.Status != scheduler.StudyDone {
		t.Fatalf("after the imports: next id %d, status %s", st.Snapshot.NextID, st.Study.Status)
	}
	for _, r := range st.Trials[3:] {
		if r.State != trial.Imported || r.Attempt != 0 || r.Created != now {
			t.Fatalf("imported trial %+v: want state imported, no attempt, created now", r)
		}
	}
	hist := st.Study.History
	if len(hist) != 2 || hist[0].Op != "import" || hist[0].What != "5 result(s) from /data/earlier.csv" || hist[0].By != "ana@box" ||
		hist[0].Command != req.Command || hist[1].What != "1 result(s) from /data/earlier.csv" {
		t.Fatalf("history %+v", hist)
	}
	if _, err := control.Import(ctx, h.store, "nosuch", results(1), req, now); err == nil {
		t.Fatal("import into a study that does not exist: no error")
	}
	h.setFile(fmt.Sprintf(branin, "warm", 5))
	sum, err := h.run(funcs.Runner{}, 1, control.Flags{})
	if err != nil {
		t.Fatal(err)
	}
	st = h.load()
	if sum.Counts[trial.Completed] != 5 || sum.Counts[trial.Imported] != 6 || sum.Reason != "trial budget of 5 used" {
		t.Fatalf("continued to 5 trials: %v, %q", sum.Counts, sum.Reason)
	}
	for _, r := range st.Trials[9:] {
		if r.State != trial.Completed {
			t.Fatalf("trial %d after the imports is %s", r.ID, r.State)
		}
	}
}
