package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"automl/backends/bolt"
	"automl/scheduler"
	"automl/search/pareto"
	"automl/search/value"
	"automl/trial"
)

// zdtStudy runs a 30-trial ZDT1 study of two objectives with a constraint
// (f1 at most 0.8, so some trials are infeasible) in dir.
func zdtStudy(t *testing.T, dir string) {
	t.Helper()
	space := "study: zdt\nobjectives:\n  - {metric: f1, direction: minimize}\n  - {metric: f2, direction: minimize}\n" +
		"constraints:\n  - {metric: f1, max: 0.8}\nbudget: {trials: 30}\nalgorithm: {name: random, seed: 7}\n" + zdt1Params
	write(t, dir, "space.yaml", space)
	if out, errOut, code := automl(t, dir, "search", "-space", "space.yaml", "--workers", "2", "-q"); code != 0 {
		t.Fatalf("search: exit %d\n%s%s", code, out, errOut)
	}
}

// TestReportParetoPlots: automl report --plot pareto and --plot
// hypervolume write PNG and SVG files of a study of two objectives, with
// --param picking the axes and --ref-point the reference point; a wrong
// reference point, --ref-point with a table format and the plots of a
// study of one objective are usage errors that say why.
func TestReportParetoPlots(t *testing.T) {
	dir := t.TempDir()
	zdtStudy(t, dir)
	for _, args := range [][]string{
		{"--plot", "pareto", "-o", "front.png"},
		{"--plot", "pareto", "--param", "f2,f1", "-o", "front.svg"},
		{"--plot", "hypervolume", "-o", "hv.png"},
		{"--plot", "hypervolume", "--ref-point", "1.1,10", "-o", "hv.svg"},
	} {
		_, errOut, code := automl(t, dir, append([]string{"report", "zdt"}, args...)...)
		out := args[len(args)-1]
		if code != 0 || !strings.Contains(errOut, "wrote "+out+" ("+args[1]+" plot)") {
			t.Fatalf("report %v: exit %d\n%s", args, code, errOut)
		}
		b, err := os.ReadFile(filepath.Join(dir, out))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(out, ".png") {
			if img, err := png.Decode(bytes.NewReader(b)); err != nil || img.Bounds().Dx() != 1200 {
				t.Errorf("%s: %v", out, err)
			}
		} else if !bytes.Contains(b[:min(len(b), 400)], []byte("<svg")) || len(b) < 2000 {
			t.Errorf("%s: not an SVG with something in it (%d bytes)", out, len(b))
		}
	}
	write(t, dir, "one.yaml", "study: one\nobjective: {metric: f1, direction: minimize}\nbudget: {trials: 3}\nalgorithm: {name: random, seed: 1}\n"+zdt1Params)
	if out, errOut, code := automl(t, dir, "search", "-space", "one.yaml", "-q"); code != 0 {
		t.Fatalf("search one: exit %d\n%s%s", code, out, errOut)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"zdt", "--plot", "pareto", "--ref-point", "1", "-o", "x.png"}, `--ref-point "1": 1 values, want one per objective (f1, f2)`},
		{[]string{"zdt", "--plot", "pareto", "--ref-point", "1,x", "-o", "x.png"}, `value 2 (f2) is "x", not a finite number`},
		{[]string{"zdt", "--plot", "pareto", "--param", "f1,f3", "-o", "x.png"}, `--param "f1,f3": want two different objectives x,y among f1, f2`},
		{[]string{"zdt", "--format", "csv", "--ref-point", "1,1"}, "--ref-point goes with --format html, --plot pareto or --plot hypervolume"},
		{[]string{"one", "--plot", "pareto", "-o", "x.png"}, `study "one" has one (f1)`},
		{[]string{"one", "--format", "html", "--ref-point", "1,1"}, `study "one" has one objective`},
	} {
		_, errOut, code := automl(t, dir, append([]string{"report"}, c.args...)...)
		if code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("report %v: exit %d, want 2 and %q\n%s", c.args, code, c.want, errOut)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x.png")); err == nil {
		t.Error("a refused plot left a file")
	}
}

// TestReportParetoInBrowser renders the HTML report of a study of two
// objectives with a constraint in headless chromium: the Pareto plot has a
// point per completed trial, the front's highlighted (as many as automl
// trials --pareto lists, each one of them), infeasible ones apart; hovering
// a front point shows its trial; the hypervolume plot has a point per
// completed trial; the summary names the front and the reference point.
func TestReportParetoInBrowser(t *testing.T) {
	chromiumPath(t)
	dir := t.TempDir()
	zdtStudy(t, dir)
	front := objTrialsJSON(t, dir, "zdt", "--pareto", "--json")
	all := objTrialsJSON(t, dir, "zdt", "--json")
	onFront := map[string]bool{}
	for _, r := range front.Trials {
		onFront[strconv.Itoa(r.ID)] = true
	}
	infeasible := 0
	for _, r := range all.Trials {
		if r.Feasible != nil && !*r.Feasible {
			infeasible++
		}
	}
	if len(onFront) == 0 || infeasible == 0 || len(all.Trials) != 30 {
		t.Fatalf("the study should have a front and infeasible trials: front %d, infeasible %d of %d", len(onFront), infeasible, len(all.Trials))
	}
	for _, ref := range []string{"", "1.1,10"} {
		args := []string{"report", "zdt", "--format", "html", "-o", "report.html"}
		if ref != "" {
			args = append(args, "--ref-point", ref)
		}
		if _, errOut, code := automl(t, dir, args...); code != 0 {
			t.Fatalf("report: exit %d\n%s", code, errOut)
		}
		b := startBrowser(t, 1400, 1600)
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		if err := b.call(ctx, true, "Page.navigate", map[string]any{"url": "file://" + filepath.Join(dir, "report.html")}, nil); err != nil {
			t.Fatal(err)
		}
		b.waitFor(t, ctx, `document.body.dataset.rendered`, `"1"`)
		var ids []string
		js, err := b.eval(ctx, `JSON.stringify(Array.from(document.querySelectorAll("#svg-pareto circle.front[data-trial]")).map(c => c.dataset.trial))`)
		if err == nil {
			var s string
			if err = json.Unmarshal([]byte(js), &s); err == nil {
				err = json.Unmarshal([]byte(s), &ids)
			}
		}
		if err != nil || len(ids) != len(onFront) {
			t.Fatalf("the Pareto plot highlights %v (%v); want the %d trials of automl trials --pareto", ids, err, len(onFront))
		}
		for _, id := range ids {
			if !onFront[id] {
				t.Errorf("trial %s is highlighted but not on the front", id)
			}
		}
		counts := map[string]string{
			`document.querySelectorAll("#svg-pareto circle[data-trial]").length`:            "30",
			`document.querySelectorAll("#svg-pareto circle.infeasible[data-trial]").length`: strconv.Itoa(infeasible),
			`document.querySelectorAll("#svg-pareto path.stairs").length`:                   "1",
			`document.getElementById("plot-hypervolume").dataset.drawn`:                     `"30"`,
			`document.getElementById("pareto-row").hidden`:                                  "false",
			`document.getElementById("pareto-axes").hidden`:                                 "true", // two objectives: nothing to pick
		}
		for expr, want := range counts {
			if got, err := b.eval(ctx, expr); err != nil || got != want {
				t.Errorf("%s = %s (%v), want %s", expr, got, err, want)
			}
		}
		summary, _ := b.eval(ctx, `document.getElementById("summary").textContent`)
		wantRef := "nadir of the feasible trials + 10%"
		if ref != "" {
			wantRef = "(1.1, 10)given (--ref-point)"
		}
		if !strings.Contains(summary, "Pareto front"+strconv.Itoa(len(onFront))+" trials") || !strings.Contains(summary, wantRef) {
			t.Errorf("summary %q: want the front of %d and %q", summary, len(onFront), wantRef)
		}

		// Hover the first front point: the tooltip names its trial.
		xy, err := b.eval(ctx, `(function(){ window.scrollTo(0, 0); var r = document.querySelector("#svg-pareto circle.front[data-trial]").getBoundingClientRect(); return [r.left + r.width/2, r.top + r.height/2]; })()`)
		var at [2]float64
		if err != nil || json.Unmarshal([]byte(xy), &at) != nil {
			t.Fatalf("front point's place: %s %v", xy, err)
		}
		if err := b.call(ctx, true, "Input.dispatchMouseEvent", map[string]any{"type": "mouseMoved", "x": at[0], "y": at[1]}, nil); err != nil {
			t.Fatal(err)
		}
		b.waitFor(t, ctx, `document.getElementById("tooltip").hidden`, "false")
		js, _ = b.eval(ctx, `document.getElementById("tooltip").textContent`)
		var tip string
		_ = json.Unmarshal([]byte(js), &tip)
		if !strings.Contains(tip, "trial "+ids[0]+" · on the Pareto front") || !strings.Contains(tip, "f1 = ") || !strings.Contains(tip, "x0: ") {
			t.Errorf("tooltip over trial %s: %s", ids[0], tip)
		}
		shot, err := b.screenshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		checkScreenshot(t, shot, "report-pareto.png")
	}
}

// TestParetoPickObjectivesInBrowser: a study of three objectives (stored
// by hand) shows the objective pickers; picking f3 for y redraws the plot
// against it, with the front of all three objectives highlighted (counted
// by brute force); picking for x the objective on y swaps the axes.
func TestParetoPickObjectivesInBrowser(t *testing.T) {
	chromiumPath(t)
	dir := t.TempDir()
	obj := []trial.Objective{{Metric: "f1", Direction: trial.Minimize}, {Metric: "f2", Direction: trial.Minimize}, {Metric: "f3", Direction: trial.Maximize}}
	start := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	study := &scheduler.Study{Name: "three", Objective: obj[0], Objectives: obj, Algorithm: "random", Status: scheduler.StudyDone,
		Trials: 25, Created: start, Updated: start.Add(time.Minute)}
	rng := rand.New(rand.NewPCG(3, 4))
	var recs []trial.Record
	var losses [][]float64
	for id := range 25 {
		m := trial.Metrics{"f1": rng.Float64(), "f2": rng.Float64(), "f3": rng.Float64()}
		recs = append(recs, trial.Record{ID: id, State: trial.Completed, Value: m["f1"], HasValue: true, Metrics: m,
			Params: value.Values{{Name: "x", Value: value.Float(m["f1"])}}, Created: start, Started: start, Finished: start.Add(time.Second)})
		losses = append(losses, []float64{m["f1"], m["f2"], -m["f3"]})
	}
	front := 0
	for i := range losses {
		dominated := false
		for j := range losses {
			dominated = dominated || pareto.Dominates(losses[j], losses[i])
		}
		if !dominated {
			front++
		}
	}
	st, err := bolt.Open(filepath.Join(dir, "automl.db"), &bolt.Options{NoServe: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Commit(context.Background(), "three", scheduler.Change{Study: study, Trials: recs}); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := automl(t, dir, "report", "three", "--format", "html", "-o", "report.html"); code != 0 {
		t.Fatalf("report: exit %d\n%s", code, errOut)
	}
	b := startBrowser(t, 1400, 1600)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := b.call(ctx, true, "Page.navigate", map[string]any{"url": "file://" + filepath.Join(dir, "report.html")}, nil); err != nil {
		t.Fatal(err)
	}
	b.waitFor(t, ctx, `document.body.dataset.rendered`, `"1"`)
	b.waitFor(t, ctx, `document.getElementById("pareto-axes").hidden`, "false")
	labels := `Array.from(document.querySelectorAll("#svg-pareto text.label")).map(t => t.textContent).join(" | ")`
	b.waitFor(t, ctx, labels, `"f1 (minimize) | f2 (minimize)"`)
	pick := func(id, value string) {
		t.Helper()
		if _, err := b.eval(ctx, `(function(){ var s = document.getElementById("`+id+`"); s.value = "`+value+`"; s.dispatchEvent(new Event("change")); return 1; })()`); err != nil {
			t.Fatal(err)
		}
	}
	pick("pareto-y", "2")
	b.waitFor(t, ctx, labels, `"f1 (minimize) | f3 (maximize)"`)
	b.waitFor(t, ctx, `document.querySelectorAll("#svg-pareto circle.front[data-trial]").length`, strconv.Itoa(front))
	b.waitFor(t, ctx, `document.querySelectorAll("#svg-pareto circle[data-trial]").length`, "25")
	pick("pareto-x", "2") // f3 is on y: the axes swap
	b.waitFor(t, ctx, labels, `"f3 (maximize) | f1 (minimize)"`)
	b.waitFor(t, ctx, `document.getElementById("pareto-y").value`, `"0"`)
}

// TestMultiobjectiveExample keeps examples/multiobjective from rotting: its
// space file validates from the repository root (where its data set path
// points) and six of its trials run, each with both objectives and the
// constraint's metric; trials --pareto lists a front and report --plot
// pareto draws it.
func TestMultiobjectiveExample(t *testing.T) {
	root, _ := filepath.Abs("../..")
	db := filepath.Join(t.TempDir(), "automl.db")
	if out, errOut, code := automl(t, root, "validate", "examples/multiobjective/space.yaml"); code != 0 || !strings.Contains(out, `ok: study "mlp-accuracy-vs-size"`) ||
		!strings.Contains(out, "objectives maximize val_accuracy, minimize params; constraints inference_ms <= 1") {
		t.Fatalf("validate: exit %d\n%s%s", code, out, errOut)
	}
	if out, errOut, code := automl(t, root, "search", "-space", "examples/multiobjective/space.yaml", "--db", db, "--trials", "6", "--workers", "2", "-q"); code != 0 {
		t.Fatalf("search: exit %d\n%s%s", code, out, errOut)
	}
	all := objTrialsJSON(t, root, "mlp-accuracy-vs-size", "--db", db, "--json")
	if len(all.Trials) != 6 || len(all.Objectives) != 2 || all.Front == nil || *all.Front == 0 {
		t.Fatalf("%d trials, objectives %v, front %v", len(all.Trials), all.Objectives, all.Front)
	}
	for _, r := range all.Trials {
		_, acc := r.Metrics["val_accuracy"]
		_, params := r.Metrics["params"]
		_, ms := r.Metrics["inference_ms"]
		if r.State != "completed" || !acc || !params || !ms || r.Feasible == nil {
			t.Errorf("trial %d: %s, metrics %v, feasible %v", r.ID, r.State, r.Metrics, r.Feasible)
		}
	}
	front := objTrialsJSON(t, root, "mlp-accuracy-vs-size", "--db", db, "--pareto", "--json")
	if len(front.Trials) != *all.Front {
		t.Errorf("--pareto lists %d trials, the front has %d", len(front.Trials), *all.Front)
	}
	png := filepath.Join(t.TempDir(), "front.png")
	if _, errOut, code := automl(t, root, "report", "mlp-accuracy-vs-size", "--db", db, "--plot", "pareto", "-o", png); code != 0 {
		t.Errorf("report --plot pareto: exit %d\n%s", code, errOut)
	}
}
