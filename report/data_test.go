package report

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"automl/backends/memory"
	"automl/report/reporttest"
	"automl/scheduler"
	"automl/search/value"
	"automl/trial"
)

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func rec(id int, st trial.State, worker string, gpus []string, start, end time.Duration) trial.Record {
	r := trial.Record{ID: id, State: st, Attempt: 1, Worker: worker, GPUs: gpus, Created: t0,
		Params: value.Values{{Name: "x", Value: value.Float(float64(id))}}}
	if start >= 0 {
		r.Started = t0.Add(start)
	}
	if end > 0 {
		r.Finished = t0.Add(end)
		r.Busy = end - start
	}
	if st == trial.Completed {
		r.Value, r.HasValue = float64(10-id), true
	}
	return r
}

func study() *scheduler.Study {
	return &scheduler.Study{Name: "s", Objective: trial.Objective{Metric: "loss", Direction: trial.Minimize}, Algorithm: "random", SpaceText: []byte("not: [a space"), SpaceFile: "s.yaml"}
}

// TestLanesRecoverSlots: trials of one worker process that overlap in time
// go on separate lanes (its slots); a GPU is its own lane; a running
// trial's bar reaches now.
func TestLanesRecoverSlots(t *testing.T) {
	s := time.Second
	recs := []trial.Record{
		rec(0, trial.Completed, "w", nil, 0, 10*s),
		rec(1, trial.Completed, "w", nil, 2*s, 8*s),   // overlaps 0: a second slot
		rec(2, trial.Completed, "w", nil, 10*s, 12*s), // after 0 ended: slot 1 again
		rec(3, trial.Running, "box", []string{"1"}, 5*s, 0),
		rec(4, trial.Failed, "box", []string{"0"}, 1*s, 3*s),
		rec(5, trial.Pending, "", nil, -1, 0), // never started: no bar
	}
	d := Build(Input{Study: study(), Trials: recs, Now: t0.Add(20 * s)})
	var names []string
	bars := map[string][]int{}
	for _, l := range d.Lanes {
		names = append(names, l.Name)
		for _, b := range l.Bars {
			bars[l.Name] = append(bars[l.Name], d.Rows[b.Row].ID)
			if d.Rows[b.Row].ID == 3 && (!b.Running || !b.End.Equal(t0.Add(20*s))) {
				t.Errorf("running trial's bar: %+v, want it running up to now", b)
			}
		}
	}
	want := []string{"box gpu 0", "box gpu 1", "w slot 1", "w slot 2"}
	if !slices.Equal(names, want) {
		t.Fatalf("lanes %v, want %v", names, want)
	}
	if !slices.Equal(bars["w slot 1"], []int{0, 2}) || !slices.Equal(bars["w slot 2"], []int{1}) {
		t.Errorf("slot bars %v", bars)
	}
	// Busy lanes: w slot 1 is busy 12 s of 20, w slot 2 6 s, gpu 0 2 s, gpu 1 15 s.
	if got, want := d.Summary.Utilisation, (12.0+6+2+15)/(4*20); math.Abs(got-want) > 1e-9 {
		t.Errorf("utilisation %v, want %v", got, want)
	}
}

func TestSummaryCountsHoursAndReasons(t *testing.T) {
	h := time.Hour
	recs := []trial.Record{
		rec(0, trial.Completed, "box", []string{"0", "1"}, 0, h), // 2 GPU-hours
		rec(1, trial.Completed, "box", []string{"2"}, 0, h/2),    // 0.5
		rec(2, trial.Failed, "box", []string{"3"}, 0, h/4),
		rec(3, trial.Failed, "box", []string{"3"}, h/4, h/2),
		rec(4, trial.Pruned, "box", []string{"2"}, h/2, h),
	}
	recs[2].Error = "CUDA out of memory\n  at line 3"
	recs[3].Error = "CUDA out of memory\n  at line 9"
	recs[4].Note = "not promoted at epochs 3"
	d := Build(Input{Study: study(), Trials: recs})
	s := d.Summary
	if s.Trials != 5 || s.Counts[trial.Completed] != 2 || s.Counts[trial.Failed] != 2 || s.Counts[trial.Pruned] != 1 {
		t.Errorf("counts %v of %d", s.Counts, s.Trials)
	}
	if math.Abs(s.GPUHours-(2+0.5+0.25+0.25+0.5)) > 1e-9 {
		t.Errorf("GPU-hours %v", s.GPUHours)
	}
	if len(s.Reasons) != 2 || s.Reasons[0].Text != "CUDA out of memory" || s.Reasons[0].Count != 2 ||
		!slices.Equal(s.Reasons[0].Trials, []int{2, 3}) || s.Reasons[1].State != trial.Pruned {
		t.Errorf("reasons %+v", s.Reasons)
	}
	if b := d.Best(); b == nil || b.ID != 1 { // minimize: trial 1 has value 9 < 10
		t.Errorf("best %+v", b)
	}
	// Errors that differ in every trial make at most maxReasons reasons.
	var many []trial.Record
	for id := range maxReasons + 30 {
		r := rec(id, trial.Failed, "box", nil, 0, h)
		r.Error = fmt.Sprintf("failed at address 0x%x", id)
		many = append(many, r)
	}
	s = Build(Input{Study: study(), Trials: many}).Summary
	if len(s.Reasons) != maxReasons || s.MoreReasons != 30 || s.MoreTrials != 30 {
		t.Errorf("%d reasons, %d more (%d trials)", len(s.Reasons), s.MoreReasons, s.MoreTrials)
	}
}

// TestParamsInferred: when the stored space no longer parses, the axes
// come from the values: a number line (log when it spans decades), or the
// levels seen.
func TestParamsInferred(t *testing.T) {
	recs := []trial.Record{rec(0, trial.Completed, "w", nil, 0, 1), rec(1, trial.Completed, "w", nil, 0, 1), rec(2, trial.Completed, "w", nil, 0, 1)}
	lrs := []float64{1e-5, 3e-3, 0.1}
	opts := []string{"adam", "sgd", "adam"}
	for i := range recs {
		recs[i].Params = value.Values{{Name: "lr", Value: value.Float(lrs[i])}, {Name: "opt", Value: value.String(opts[i])}}
	}
	recs[2].Params = append(recs[2].Params, value.NamedValue{Name: "momentum", Value: value.Float(0.9)})
	d := Build(Input{Study: study(), Trials: recs})
	if d.File != nil || len(d.Params) != 3 {
		t.Fatalf("space file %v, params %+v", d.File, d.Params)
	}
	lr, opt, mom := d.Params[0], d.Params[1], d.Params[2]
	if lr.Name != "lr" || lr.Categorical || !lr.Log || lr.Low != 1e-5 || lr.High != 0.1 {
		t.Errorf("lr %+v", lr)
	}
	if !opt.Categorical || len(opt.Levels) != 2 || opt.Coord(value.String("sgd")) != 1 {
		t.Errorf("opt %+v", opt)
	}
	if !mom.Conditional || !math.IsNaN(mom.Unit(value.Value{})) {
		t.Errorf("momentum %+v", mom)
	}
}

// TestFixtureViews: a multi-fidelity fleet study stored and read back
// through a Store: rungs, promotions in the curves, a lane per GPU.
func TestFixtureViews(t *testing.T) {
	c := reporttest.Study(reporttest.Options{Trials: 90, Seed: 3, Reports: true, Live: true})
	st := memory.New()
	if err := st.Commit(context.Background(), "fixture", c); err != nil {
		t.Fatal(err)
	}
	d, err := Load(context.Background(), st, "fixture", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d.File == nil || len(d.Params) != 5 || !d.Params[2].Conditional {
		t.Fatalf("params %+v", d.Params)
	}
	if !slices.Equal(d.Rungs, []float64{3, 9}) {
		t.Errorf("rungs %v, want [3 9]", d.Rungs)
	}
	if len(d.Lanes) != reporttest.Lanes {
		t.Errorf("%d lanes, want %d", len(d.Lanes), reporttest.Lanes)
	}
	promoted := 0
	for _, cv := range d.Curves {
		r := &d.Rows[cv.Row]
		if len(cv.Points) != r.Reports {
			t.Fatalf("trial %d: %d points, %d reports", r.ID, len(cv.Points), r.Reports)
		}
		for k := 1; k < len(cv.Points); k++ {
			if cv.Points[k].Attempt != cv.Points[k-1].Attempt {
				promoted++
			}
		}
	}
	if promoted == 0 {
		t.Error("no promotion visible in the curves")
	}
	if d.Summary.Counts[trial.Running] != 2 || d.Summary.Counts[trial.Pending] != 2 {
		t.Errorf("live fixture counts %v", d.Summary.Counts)
	}
	if len(d.Importance.Params) != 5 {
		t.Errorf("importance %+v", d.Importance)
	}
}

func TestLoadPicksCurvesAndKnowsMissingStudies(t *testing.T) {
	c := reporttest.Study(reporttest.Options{Trials: 60, Seed: 1, Reports: true})
	st := memory.New()
	if err := st.Commit(context.Background(), "fixture", c); err != nil {
		t.Fatal(err)
	}
	d, err := Load(context.Background(), st, "fixture", Options{MaxCurves: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Curves) != 10 {
		t.Fatalf("%d curves, want 10", len(d.Curves))
	}
	// The best five by rank, then others.
	for k := range 5 {
		if d.Curves[k].Row != k {
			t.Errorf("curve %d is row %d, want the %d-th best", k, d.Curves[k].Row, k)
		}
	}
	if d, err := Load(context.Background(), st, "fixture", Options{MaxCurves: -1}); err != nil || len(d.Curves) != 0 {
		t.Errorf("MaxCurves -1: %d curves, %v", len(d.Curves), err)
	}
	if _, err := Load(context.Background(), st, "nope", Options{}); !errors.Is(err, scheduler.ErrStudyNotFound) {
		t.Errorf("missing study: %v", err)
	}
}

func TestWhyTakesTheErrorsFirstLine(t *testing.T) {
	r := trial.Record{Error: "  boom \nstack", Note: "ignored"}
	if got := Why(&r); got != "boom" {
		t.Errorf("Why = %q", got)
	}
	r = trial.Record{Note: "promoted to epochs 9"}
	if got := Why(&r); !strings.HasPrefix(got, "promoted") {
		t.Errorf("Why = %q", got)
	}
}
