package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"image/png"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"automl/trial"
)

// paretoRecords: minimise f1, maximise f2, c at most 10. In losses
// (f1, -f2) the feasible trials are 0 (3,-3), 1 (1,-1), 3 (2,-4) and
// 4 (4,-5); 3 dominates 0, so the front is {1, 3, 4}; 2 and 5 dominate
// everything but are infeasible; 6 failed.
func paretoRecords() []trial.Record {
	return []trial.Record{
		done(0, trial.Metrics{"f1": 3, "f2": 3, "c": 0}),
		done(1, trial.Metrics{"f1": 1, "f2": 1, "c": 0}),
		done(2, trial.Metrics{"f1": 0, "f2": 9, "c": 50}),
		done(3, trial.Metrics{"f1": 2, "f2": 4, "c": 0}),
		done(4, trial.Metrics{"f1": 4, "f2": 5, "c": 0}),
		done(5, trial.Metrics{"f1": 0, "f2": 9, "c": 11}),
		{ID: 6, State: trial.Failed, Error: "boom"},
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// TestParetoView: the front's size and hypervolume against the default
// reference point (the feasible trials' nadir plus a tenth of their range,
// in each objective's own units: f1 4 + 0.3, f2 1 - 0.4) and against a
// given one, and the hypervolume after each completed trial, worked out by
// hand: after trial 0 the box (3,-3)..(4.3,-0.6) = 1.3 x 2.4; trial 1 adds
// 2 x 0.4; infeasible 2 adds nothing; 3 dominates 0: 0.4 + 2.3 x 3.4;
// 4 adds 0.3 x 4.4; 5 is infeasible; the failed 6 has no point.
func TestParetoView(t *testing.T) {
	d := Build(Input{Study: goalStudy(true), Trials: paretoRecords()})
	p := d.Pareto
	if p == nil {
		t.Fatal("no Pareto view for a study of two objectives")
	}
	if p.RefGiven || !p.OK || p.Front != 3 || len(p.Ref) != 2 || !near(p.Ref[0], 4.3) || !near(p.Ref[1], 0.6) {
		t.Fatalf("front %d, ok %v, ref %v (given %v); want 3, true, [4.3 0.6]", p.Front, p.OK, p.Ref, p.RefGiven)
	}
	if !near(p.Hypervolume, 8.52) {
		t.Errorf("hypervolume %v, want 8.52", p.Hypervolume)
	}
	want := []HVPoint{{0, 3.12}, {1, 3.92}, {2, 3.92}, {3, 8.22}, {4, 8.52}, {5, 8.52}}
	if len(p.History) != len(want) {
		t.Fatalf("history %v, want %v", p.History, want)
	}
	for i := range want {
		if p.History[i].ID != want[i].ID || !near(p.History[i].Hypervolume, want[i].Hypervolume) {
			t.Errorf("history[%d] = %+v, want %+v", i, p.History[i], want[i])
		}
	}
	// The summary's figure is the leaderboard's.
	if _, hv, _ := FrontSummary(d.Rows); !near(hv, p.Hypervolume) {
		t.Errorf("FrontSummary's hypervolume %v, the view's %v", hv, p.Hypervolume)
	}

	// A given reference point (5, 0) in units, (5, -0) in losses:
	// 1 x 1 + 2 x 4 + 1 x 5.
	g := Build(Input{Study: goalStudy(true), Trials: paretoRecords(), Ref: []float64{5, 0}}).Pareto
	if !g.RefGiven || g.Ref[0] != 5 || g.Ref[1] != 0 || !near(g.Hypervolume, 14) || !near(g.History[len(g.History)-1].Hypervolume, 14) {
		t.Errorf("given ref: %+v, want hypervolume 14", g)
	}
	// A reference point no trial is better than: no volume, same front.
	z := Build(Input{Study: goalStudy(true), Trials: paretoRecords(), Ref: []float64{0, 10}}).Pareto
	if z.Hypervolume != 0 || z.Front != 3 {
		t.Errorf("ref beyond every trial: %+v", z)
	}

	// One objective: no view; no trial feasible: no front, no hypervolume.
	one := goalStudy(false)
	one.Objectives = nil
	if Build(Input{Study: one, Trials: paretoRecords()}).Pareto != nil {
		t.Error("a study of one objective has a Pareto view")
	}
	none := Build(Input{Study: goalStudy(true), Trials: paretoRecords()[5:]}).Pareto
	if none.OK || none.Front != 0 || none.Ref != nil || len(none.History) != 0 {
		t.Errorf("no feasible trial: %+v", none)
	}
}

// TestParetoPageData: the page's data carries the view, and every row's
// objectives, rank and feasibility in leaderboard order.
func TestParetoPageData(t *testing.T) {
	d := Build(Input{Study: goalStudy(true), Trials: paretoRecords()})
	var doc struct {
		Pareto struct {
			Objectives []trial.Objective `json:"objectives"`
			Ref        []float64         `json:"ref"`
			RefGiven   bool              `json:"ref_given"`
			Front      int               `json:"front"`
			HV         float64           `json:"hv"`
			History    [][2]float64      `json:"history"`
			Obj        [][]*float64      `json:"obj"`
			Rank       []int             `json:"rank"`
			Feas       []int             `json:"feas"`
		} `json:"pareto"`
	}
	b := d.AppendJSON(nil, View{}, time.Unix(0, 0))
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	p := doc.Pareto
	if len(p.Objectives) != 2 || p.Objectives[1].Direction != trial.Maximize || p.Front != 3 || !near(p.HV, 8.52) || len(p.History) != 6 || p.History[3][0] != 3 {
		t.Errorf("pareto data %+v", p)
	}
	// Leaderboard order: 1, 4, 3, 0, 5, 2, 6 (see TestLeaderboardOfSeveralObjectives).
	if !equalInts(p.Rank, []int{0, 0, 0, 1, 2, 3, -1}) || !equalInts(p.Feas, []int{1, 1, 1, 1, 0, 0, 0}) {
		t.Errorf("rank %v, feas %v", p.Rank, p.Feas)
	}
	if len(p.Obj) != 2 || *p.Obj[1][1] != 5 || p.Obj[0][6] != nil {
		t.Errorf("obj %v", p.Obj)
	}
	one := goalStudy(false)
	one.Objectives = nil
	if b := Build(Input{Study: one, Trials: paretoRecords()}).AppendJSON(nil, View{}, time.Unix(0, 0)); !bytes.Contains(b, []byte(`"pareto":null`)) {
		t.Error("a study of one objective: pareto is not null")
	}
}

// TestParetoPlots: pareto and hypervolume draw as PNG (the asked size,
// not blank) and SVG; on a study of one objective they are refused.
func TestParetoPlots(t *testing.T) {
	d := Build(Input{Study: goalStudy(true), Trials: paretoRecords()})
	for _, kind := range []string{"pareto", "hypervolume"} {
		var b bytes.Buffer
		if err := WritePlot(&b, d, PlotOptions{Kind: kind, Format: "png", Width: 640, Height: 400}); err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if !bytes.HasPrefix(b.Bytes(), []byte("\x89PNG\r\n\x1a\n")) {
			t.Fatalf("%s: not a PNG", kind)
		}
		img, err := png.Decode(&b)
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if sz := img.Bounds().Size(); sz.X != 640 || sz.Y != 400 {
			t.Errorf("%s: %v pixels", kind, sz)
		}
		if n := colours(img); n < 8 {
			t.Errorf("%s: %d colours: blank?", kind, n)
		}
		b.Reset()
		if err := WritePlot(&b, d, PlotOptions{Kind: kind, Format: "svg"}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), "<svg") {
			t.Errorf("%s: not an SVG", kind)
		}
		if err := wellFormed(&b); err != nil {
			t.Errorf("%s: SVG: %v", kind, err)
		}
	}
	var b bytes.Buffer
	if err := WritePlot(&b, d, PlotOptions{Kind: "pareto", Param: "f2,f1", Format: "svg"}); err != nil {
		t.Errorf("pareto f2,f1: %v", err)
	}
	one := goalStudy(false)
	one.Objectives = nil
	d1 := Build(Input{Study: one, Trials: paretoRecords()})
	for _, o := range []PlotOptions{{Kind: "pareto"}, {Kind: "hypervolume"}} {
		err := WritePlot(&b, d1, o)
		if !errors.Is(err, ErrBadPlot) || !strings.Contains(err.Error(), "one (f1)") {
			t.Errorf("%s of one objective: %v", o.Kind, err)
		}
	}
	for _, param := range []string{"f1", "f1,f1", "f1,nope", "f1,f2,f3"} {
		err := WritePlot(&b, d, PlotOptions{Kind: "pareto", Param: param})
		if !errors.Is(err, ErrBadPlot) || !strings.Contains(err.Error(), "among f1, f2") {
			t.Errorf("--param %q: %v", param, err)
		}
	}
}

// TestParseRefPoint: one finite number per objective, each mistake named.
func TestParseRefPoint(t *testing.T) {
	st := goalStudy(false)
	if ref, err := ParseRefPoint(st, "--ref-point", " 1.1, -2e3"); err != nil || ref[0] != 1.1 || ref[1] != -2000 {
		t.Errorf("got %v, %v", ref, err)
	}
	for s, want := range map[string]string{
		"1":       `--ref-point "1": 1 values, want one per objective (f1, f2)`,
		"1,2,3":   "3 values",
		"1,x":     `value 2 (f2) is "x", not a finite number`,
		"1,+Inf":  "value 2 (f2)",
		",1":      "value 1 (f1)",
		"NaN,1.0": "value 1 (f1)",
	} {
		if _, err := ParseRefPoint(st, "--ref-point", s); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", s, err, want)
		}
	}
	one := goalStudy(false)
	one.Objectives = nil
	if _, err := ParseRefPoint(one, "--ref-point", "1,1"); !errors.Is(err, ErrBadPlot) || !strings.Contains(err.Error(), "one objective") {
		t.Errorf("one objective: %v", err)
	}
}

// BenchmarkParetoView: the Pareto view (front, hypervolume, its history)
// of 20,000 trials of two objectives on a curved front with noise.
func BenchmarkParetoView(b *testing.B) {
	st := goalStudy(false)
	rng := rand.New(rand.NewPCG(3, 4))
	recs := make([]trial.Record, 20000)
	for i := range recs {
		x := rng.Float64()
		recs[i] = done(i, trial.Metrics{"f1": x, "f2": -(1 - x*x + rng.Float64())}) // f2 is maximised
	}
	rows := Leaderboard(st, recs)
	b.ResetTimer()
	for range b.N {
		if p := paretoOf(st, rows, nil); !p.OK {
			b.Fatal("no front")
		}
	}
}
