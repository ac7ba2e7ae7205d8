package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"automl/scheduler"
	"automl/trial"
	"automl/trial/goal"
)

func goalStudy(constrained bool) *scheduler.Study {
	st := &scheduler.Study{Name: "mo", Status: scheduler.StudyDone,
		Objective:  trial.Objective{Metric: "f1", Direction: trial.Minimize},
		Objectives: []trial.Objective{{Metric: "f1", Direction: trial.Minimize}, {Metric: "f2", Direction: trial.Maximize}}}
	if constrained {
		max := 10.0
		st.Constraints = []goal.Constraint{{Metric: "c", Max: &max}}
	}
	return st
}

func done(id int, m trial.Metrics) trial.Record {
	v, ok := m["f1"]
	return trial.Record{ID: id, State: trial.Completed, Value: v, HasValue: ok, Metrics: m}
}

// TestLeaderboardOfSeveralObjectives: the front first, then by rank;
// within a rank by crowding (the ends first), then f1; infeasible trials
// after every feasible one by violation; failed ones last.
func TestLeaderboardOfSeveralObjectives(t *testing.T) {
	recs := []trial.Record{
		done(0, trial.Metrics{"f1": 3, "f2": 3, "c": 0}),  // rank 1: dominated by 3
		done(1, trial.Metrics{"f1": 1, "f2": 1, "c": 0}),  // front, an end
		done(2, trial.Metrics{"f1": 0, "f2": 9, "c": 50}), // dominates all, infeasible by 40
		done(3, trial.Metrics{"f1": 2, "f2": 4, "c": 0}),  // front, middle
		done(4, trial.Metrics{"f1": 4, "f2": 5, "c": 0}),  // front, an end
		done(5, trial.Metrics{"f1": 0, "f2": 9, "c": 11}), // infeasible by 1
		{ID: 6, State: trial.Failed, Error: "boom"},
	}
	st := goalStudy(true)
	rows := Leaderboard(st, recs)
	var order []int
	for _, r := range rows {
		order = append(order, r.ID)
	}
	if want := []int{1, 4, 3, 0, 5, 2, 6}; !equalInts(order, want) {
		t.Fatalf("order = %v, want %v", order, want)
	}
	if rows[0].Rank != 1 || rows[5].Rank != 6 || rows[6].Rank != 0 {
		t.Errorf("ranks %d, %d, %d", rows[0].Rank, rows[5].Rank, rows[6].Rank)
	}
	front := ParetoFront(rows)
	if len(front) != 3 || front[0].ID != 1 || front[2].ID != 3 {
		t.Errorf("ParetoFront = %v", idsOf(front))
	}
	size, hv, ok := FrontSummary(rows)
	if size != 3 || !ok || hv <= 0 {
		t.Errorf("FrontSummary = %d, %v, %v", size, hv, ok)
	}

	cols, err := SelectColumns(Columns(st, rows), nil, "csv")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteCSV(&b, cols, rows); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	if !strings.HasPrefix(lines[0], "rank,trial,state,f1,f2,pareto_rank,feasible,violation,c,") {
		t.Errorf("csv header %q", lines[0])
	}
	if !strings.HasPrefix(lines[1], "1,1,completed,1,1,0,true,0,0,") || !strings.HasPrefix(lines[6], "6,2,completed,0,9,3,false,40,50,") {
		t.Errorf("csv rows:\n%s\n%s", lines[1], lines[6])
	}
	// The terminal's table shows them too.
	table, err := SelectColumns(Columns(st, rows), nil, "table")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range table {
		names = append(names, c.Name)
	}
	if got := strings.Join(names, ","); !strings.HasPrefix(got, "rank,trial,state,f1,f2,pareto_rank,feasible,violation,") {
		t.Errorf("table columns %s", got)
	}

	b.Reset()
	if err := WriteJSON(&b, st, rows, nil); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Objectives  []trial.Objective `json:"objectives"`
		Constraints []goal.Constraint `json:"constraints"`
		Front       int               `json:"pareto_front"`
		Hypervolume float64           `json:"hypervolume"`
		Best        any               `json:"best"`
		Trials      []struct {
			ID         int      `json:"id"`
			ParetoRank *int     `json:"pareto_rank"`
			Feasible   *bool    `json:"feasible"`
			Violation  *float64 `json:"violation"`
		} `json:"trials"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if len(doc.Objectives) != 2 || len(doc.Constraints) != 1 || doc.Front != 3 || doc.Hypervolume != hv || doc.Best != nil {
		t.Errorf("json head: %+v", doc)
	}
	tr := doc.Trials[5]
	if tr.ID != 2 || tr.ParetoRank == nil || *tr.ParetoRank != 3 || tr.Feasible == nil || *tr.Feasible || tr.Violation == nil || *tr.Violation != 40 {
		t.Errorf("json trial 2: %+v", tr)
	}
	if f := doc.Trials[6]; f.ParetoRank != nil || f.Feasible != nil {
		t.Errorf("a failed trial has a standing: %+v", f)
	}
}

// TestLeaderboardOneObjectiveWithConstraints: feasible trials first by
// value, infeasible ones after them by violation; no pareto_rank column.
func TestLeaderboardOneObjectiveWithConstraints(t *testing.T) {
	st := goalStudy(true)
	st.Objectives = nil
	recs := []trial.Record{
		done(0, trial.Metrics{"f1": 1, "c": 30}), // infeasible by 20
		done(1, trial.Metrics{"f1": 5, "c": 0}),
		done(2, trial.Metrics{"f1": 2, "c": 11}), // infeasible by 1
		done(3, trial.Metrics{"f1": 3, "c": 10}),
		done(4, trial.Metrics{"f1": 0}), // c not reported: infeasible, last
	}
	rows := Leaderboard(st, recs)
	if got := idsOf(rows); !equalInts(got, []int{3, 1, 2, 0, 4}) {
		t.Errorf("order = %v, want feasible by value, then by violation", got)
	}
	for _, c := range Columns(st, rows) {
		if c.Name == "pareto_rank" {
			t.Error("a study of one objective has a pareto_rank column")
		}
	}
}

func idsOf(rows []Row) []int {
	var out []int
	for _, r := range rows {
		out = append(out, r.ID)
	}
	return out
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
