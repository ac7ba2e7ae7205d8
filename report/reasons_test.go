package report

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"automl/scheduler"
	"automl/trial"
)

// stored is an exec failure as the store holds it: the trial's key first,
// then the exec trainer's message and the end of the program's output.
func stored(id int) string {
	return fmt.Sprintf("trial s/%d/1: exec: python3 exited with status 1; its log ends:\nloading\nTraceback (most recent call last):\n  File \"/w/train.py\", line 2, in <module>\n    import torch\nModuleNotFoundError: No module named 'torch'", id)
}

// Identical failures make one group whatever their trial keys: its cause
// is the line that names the failure, with the trials and the output; the
// note column shows the same cause. Causes that differ only in numbers
// group too, marked as varying.
func TestReasonsGroupByCauseWithoutTrialKeys(t *testing.T) {
	var recs []trial.Record
	for id := range 6 {
		r := rec(id, trial.Failed, "w", nil, 0, time.Second)
		r.Error = stored(id)
		recs = append(recs, r)
	}
	for id := 6; id < 9; id++ {
		r := rec(id, trial.Failed, "w", nil, 0, time.Second)
		r.Error = fmt.Sprintf("trial s/%d/1: loss diverged to %d.5e+14 at epoch %d (learning_rate %d may be too high)", id, id, id-5, 80+id)
		recs = append(recs, r)
	}
	rows := Leaderboard(study(), recs)
	rs, more, _ := Reasons(rows)
	const want = "exec: python3 exited with status 1: ModuleNotFoundError: No module named 'torch'"
	if len(rs) != 2 || more != 0 {
		t.Fatalf("%d groups (+%d), want 2: %+v", len(rs), more, rs)
	}
	if r := rs[0]; r.Text != want || r.Count != 6 || !slices.Equal(r.Trials, []int{0, 1, 2, 3, 4, 5}) || r.Varies ||
		!strings.HasPrefix(r.Detail, "loading\nTraceback") || !strings.HasSuffix(r.Detail, "No module named 'torch'") {
		t.Errorf("first group %+v; want the 6 identical failures under %q with the output", r, want)
	}
	if r := rs[1]; r.Count != 3 || !r.Varies || r.Text != "loss diverged to 6.5e+14 at epoch 1 (learning_rate 86 may be too high)" {
		t.Errorf("second group %+v; want the 3 divergences, trial 6's text, varying", r)
	}
	cols := Columns(study(), rows)
	note := cols[len(cols)-1]
	for i := range rows {
		if got := note.Get(&rows[i]); strings.Contains(got, "s/") || strings.HasSuffix(got, "ends:") {
			t.Errorf("trial %d's note %q holds its key or stops before the cause", rows[i].ID, got)
		}
	}
	if got := note.Get(&rows[0]); got != want || rows[0].Cause != want {
		t.Errorf("note %q, cause %q; want %q", got, rows[0].Cause, want)
	}
}

// WriteReasons prints each cause once with its count, trials and the end
// of the output, for a terminal and as Markdown.
func TestWriteReasons(t *testing.T) {
	var recs []trial.Record
	for id := range 10 {
		r := rec(id, trial.Failed, "w", nil, 0, time.Second)
		r.Error = stored(id)
		recs = append(recs, r)
	}
	rows := Leaderboard(study(), recs)
	var text, md strings.Builder
	if err := WriteReasons(&text, rows, false); err != nil {
		t.Fatal(err)
	}
	want := `
Why trials did not complete:
  10 failed: exec: python3 exited with status 1: ModuleNotFoundError: No module named 'torch'
    trials 0, 1, 2, 3, 4, 5, 6, 7, …
    output of trial 0 ends:
      loading
      Traceback (most recent call last):
        File "/w/train.py", line 2, in <module>
          import torch
      ModuleNotFoundError: No module named 'torch'
`
	if text.String() != want {
		t.Errorf("text:\n%s\nwant:\n%s", text.String(), want)
	}
	if err := WriteReasons(&md, rows, true); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(md.String(), "\n## Why trials did not complete\n\n- **10 failed** (trials 0, 1, 2, 3, 4, 5, 6, 7, …): exec: python3 exited with status 1: ModuleNotFoundError: No module named 'torch'\n\n  output of trial 0 ends:\n\n  ```\n  loading\n") {
		t.Errorf("markdown:\n%s", md.String())
	}
	var none strings.Builder
	if err := WriteReasons(&none, Leaderboard(study(), []trial.Record{rec(0, trial.Completed, "w", nil, 0, time.Second)}), false); err != nil || none.Len() != 0 {
		t.Errorf("wrote %q for a study without failures", none.String())
	}
}

// Once a study is over, the trials it never ran come after the failures
// that ended it; while it runs, queued trials stay ahead of them.
func TestLeaderboardPutsNeverRunTrialsLastOnceOver(t *testing.T) {
	recs := []trial.Record{
		rec(0, trial.Pending, "", nil, -1, 0),
		rec(1, trial.Failed, "w", nil, 0, time.Second),
		rec(2, trial.Completed, "w", nil, 0, time.Second),
		rec(3, trial.Pruned, "w", nil, 0, time.Second),
		rec(4, trial.Pending, "", nil, -1, 0),
	}
	order := func(status scheduler.StudyStatus) []int {
		st := study()
		st.Status = status
		var ids []int
		for _, r := range Leaderboard(st, recs) {
			ids = append(ids, r.ID)
		}
		return ids
	}
	for _, status := range []scheduler.StudyStatus{scheduler.StudyFailed, scheduler.StudyDone, scheduler.StudyInterrupted} {
		if got, want := order(status), []int{2, 3, 1, 0, 4}; !slices.Equal(got, want) {
			t.Errorf("%s study: order %v, want %v", status, got, want)
		}
	}
	if got, want := order(scheduler.StudyRunning), []int{2, 0, 4, 3, 1}; !slices.Equal(got, want) {
		t.Errorf("running study: order %v, want %v", got, want)
	}
}
