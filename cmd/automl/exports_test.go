package main

import (
	"cmp"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"automl/report"
	"automl/report/reporttest"
	"automl/scheduler"
	"automl/search/value"
	"automl/trial"
)

// mlpStudy runs a small mlp study on iris whose trials report test metrics
// (test: 0.3) beside the objective, val_accuracy, and returns its dir.
func mlpStudy(t *testing.T) string {
	t.Helper()
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	space := fmt.Sprintf(`study: iris
objective: {metric: val_accuracy, direction: maximize}
budget: {trials: 6}
algorithm: {name: random, seed: 3}
trainer:
  plugin: mlp
  config: {dataset: %q, validation: 0.3, test: 0.3, split_seed: 1, epochs: 4, threads: 1}
parameters:
  learning_rate: {type: float, low: 1.0e-3, high: 3.0e-1, log: true}
  units: {type: int, low: 4, high: 64, log: true}
`, filepath.Join(repo, "testdata/datasets/iris.csv"))
	if err := os.WriteFile(filepath.Join(dir, "space.yaml"), []byte(space), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, errOut, code := automl(t, dir, "search", "-space", "space.yaml", "--workers", "2", "-q"); code != 0 {
		t.Fatalf("search: exit %d\n%s%s", code, out, errOut)
	}
	return dir
}

// readCSV parses a CSV export into its header and a column getter.
func readCSV(t *testing.T, text string) ([]string, [][]string, func(row []string, name string) string) {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(text)).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("csv: %v\n%s", err, text)
	}
	at := map[string]int{}
	for i, h := range recs[0] {
		at[h] = i
	}
	return recs[0], recs[1:], func(row []string, name string) string {
		i, ok := at[name]
		if !ok {
			t.Fatalf("csv has no column %q: %v", name, recs[0])
		}
		return row[i]
	}
}

func descending(xs []float64) bool {
	return slices.IsSortedFunc(xs, func(a, b float64) int { return -cmp.Compare(a, b) })
}

// TestExportsEveryMetric: test_accuracy, which the mlp trainer reports
// beside the objective, is a column for --columns and --sort in md, csv,
// json, html and automl trials; csv and json durations are plain seconds
// (duration_s) that Python's csv and json modules read as numbers; md
// keeps the human form; a misspelt column gets the list and a
// did-you-mean.
func TestExportsEveryMetric(t *testing.T) {
	dir := mlpStudy(t)
	pick := []string{"--columns", "trial,val_accuracy,test_accuracy,duration", "--sort", "-test_accuracy"}

	// CSV: the column by either name, seconds, sorted by the metric.
	out, errOut, code := automl(t, dir, append([]string{"report", "iris", "--format", "csv"}, pick...)...)
	if code != 0 {
		t.Fatalf("csv: exit %d %s", code, errOut)
	}
	head, rows, get := readCSV(t, out)
	if strings.Join(head, ",") != "trial,val_accuracy,test_accuracy,duration_s" || len(rows) != 6 {
		t.Fatalf("csv:\n%s", out)
	}
	var acc []float64
	var total float64
	for _, r := range rows {
		a, err1 := strconv.ParseFloat(get(r, "test_accuracy"), 64)
		d, err2 := strconv.ParseFloat(get(r, "duration_s"), 64)
		if err1 != nil || err2 != nil || a < 0 || a > 1 || d <= 0 || d > 600 {
			t.Fatalf("csv row %v: test_accuracy %v, duration_s %v", r, err1, err2)
		}
		acc = append(acc, a)
		total += d
	}
	if !descending(acc) || acc[0] == acc[len(acc)-1] {
		t.Errorf("test_accuracy %v: want descending, and the trials to differ", acc)
	}
	if err := os.WriteFile(filepath.Join(dir, "sorted.csv"), []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}

	// The default CSV: every metric and the times, no units.
	out, _, code = automl(t, dir, "report", "iris", "-o", "all.csv")
	if code != 0 {
		t.Fatalf("csv -o: exit %d", code)
	}
	b, err := os.ReadFile(filepath.Join(dir, "all.csv"))
	if err != nil {
		t.Fatal(err)
	}
	head, rows, get = readCSV(t, string(b))
	for _, want := range []string{"val_accuracy", "test_accuracy", "test_loss", "train_loss", "val_loss", "duration_s", "created", "started", "finished"} {
		if !slices.Contains(head, want) {
			t.Errorf("default csv lacks %s: %v", want, head)
		}
	}
	for _, r := range rows {
		if _, err := time.Parse(time.RFC3339, get(r, "finished")); err != nil {
			t.Errorf("finished %q: %v", get(r, "finished"), err)
		}
	}

	// JSON: numbers, duration_s.
	out, _, code = automl(t, dir, append([]string{"report", "iris", "--format", "json"}, pick...)...)
	var doc struct {
		Columns []string
		Trials  []map[string]any
	}
	if code != 0 || json.Unmarshal([]byte(out), &doc) != nil || len(doc.Trials) != 6 {
		t.Fatalf("json (exit %d):\n%s", code, out)
	}
	if !slices.Equal(doc.Columns, []string{"trial", "val_accuracy", "test_accuracy", "duration_s"}) {
		t.Errorf("json columns %v", doc.Columns)
	}
	for i, tr := range doc.Trials {
		a, ok1 := tr["test_accuracy"].(float64)
		d, ok2 := tr["duration_s"].(float64)
		if !ok1 || !ok2 || a != acc[i] || d <= 0 {
			t.Errorf("json trial %d: %v; want numbers, test_accuracy %v", i, tr, acc[i])
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "sorted.json"), []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}

	// Markdown: the same columns, the duration in people's form.
	out, _, code = automl(t, dir, append([]string{"report", "iris"}, pick...)...)
	if code != 0 || !strings.Contains(out, "| trial | val_accuracy | test_accuracy | duration |") {
		t.Fatalf("md (exit %d):\n%s", code, out)
	}
	mdRow := regexp.MustCompile(`(?m)^\| (\d+) \| [0-9.]+ \| ([0-9.]+) \| ([0-9.]+(ms|s|µs)) \|$`)
	var mdAcc []float64
	for _, m := range mdRow.FindAllStringSubmatch(out, -1) {
		x, _ := strconv.ParseFloat(m[2], 64)
		mdAcc = append(mdAcc, x)
	}
	if len(mdAcc) != 6 || !descending(mdAcc) {
		t.Errorf("md rows by -test_accuracy with a unit on the duration: %v\n%s", mdAcc, out)
	}

	// HTML: the page's leaderboard starts with those columns, that sort,
	// and has the metric's values.
	if _, errOut, code := automl(t, dir, append([]string{"report", "iris", "-o", "report.html"}, pick...)...); code != 0 {
		t.Fatalf("html: exit %d %s", code, errOut)
	}
	page, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	data := pageData(t, string(page))
	if !slices.Equal(data.View.Columns, []string{"trial", "val_accuracy", "test_accuracy", "duration"}) || data.View.Sort != "-test_accuracy" {
		t.Errorf("page view %+v", data.View)
	}
	if i := slices.Index(data.Metrics, "test_accuracy"); i < 0 || len(data.Trials.M) != len(data.Metrics) {
		t.Errorf("page metrics %v", data.Metrics)
	} else {
		var pageAcc []float64
		for _, x := range data.Trials.M[i] {
			pageAcc = append(pageAcc, x)
		}
		slices.Sort(pageAcc)
		sorted := slices.Clone(acc)
		slices.Sort(sorted)
		if !slices.Equal(pageAcc, sorted) {
			t.Errorf("page test_accuracy %v, csv %v", pageAcc, sorted)
		}
	}

	// automl trials: the same names on the terminal and in --json.
	out, _, code = automl(t, dir, "trials", "iris", "--sort", "-test_accuracy", "--columns", "trial,test_accuracy,duration_s", "--top", "3")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 4 || strings.Join(strings.Fields(lines[0]), " ") != "TRIAL TEST_ACCURACY DURATION" {
		t.Errorf("trials (exit %d):\n%s", code, out)
	} else if f := strings.Fields(lines[1]); len(f) != 3 || f[1] != strconv.FormatFloat(acc[0], 'g', 6, 64) && f[1] != strconv.FormatFloat(acc[0], 'f', -1, 64) {
		t.Errorf("trials' first row %q, want test_accuracy %v", lines[1], acc[0])
	}
	out, _, code = automl(t, dir, "trials", "iris", "--json", "--columns", "trial,test_accuracy", "--sort", "-test_accuracy")
	if code != 0 || json.Unmarshal([]byte(out), &doc) != nil || len(doc.Trials) != 6 || doc.Trials[0]["test_accuracy"] != acc[0] {
		t.Errorf("trials --json (exit %d):\n%s", code, out)
	}
	out, _, code = automl(t, dir, "trials", "iris", "--json")
	if code != 0 || strings.Contains(out, `"busy"`) || !strings.Contains(out, `"duration_s": `) {
		t.Errorf("trials --json: want duration_s, not busy (exit %d):\n%.600s", code, out)
	}

	// A misspelt column, in every format and in automl trials.
	for _, args := range [][]string{
		{"report", "iris", "--columns", "trial,test_acuracy"},
		{"report", "iris", "--format", "csv", "--columns", "test_acuracy"},
		{"report", "iris", "--format", "json", "--columns", "test_acuracy"},
		{"report", "iris", "--format", "html", "--columns", "test_acuracy"},
		{"report", "iris", "--sort", "-test_acuracy"},
		{"trials", "iris", "--columns", "test_acuracy"},
		{"trials", "iris", "--sort", "test_acuracy"},
	} {
		_, errOut, code := automl(t, dir, args...)
		if code != exitUsage || !strings.Contains(errOut, `unknown column "test_acuracy" (did you mean "test_accuracy"?); columns: rank, trial, state, val_accuracy,`) ||
			!strings.Contains(errOut, "train_loss") {
			t.Errorf("%v: exit %d, %q", args, code, errOut)
		}
	}

	// Python's own csv and json modules read the exports as numbers.
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3 to read the exports with")
	}
	script := `import csv, json, sys
rows = list(csv.DictReader(open("sorted.csv", newline="")))
doc = json.load(open("sorted.json"))
assert all(isinstance(t["duration_s"], float) and isinstance(t["test_accuracy"], float) for t in doc["trials"])
print(len(rows), "%.6f" % sum(float(r["duration_s"]) for r in rows), "%.6f" % sum(t["duration_s"] for t in doc["trials"]), "%.10g" % max(float(r["test_accuracy"]) for r in rows))
`
	cmd := exec.Command(python, "-c", script)
	cmd.Dir = dir
	py, err := cmd.CombinedOutput()
	want := fmt.Sprintf("6 %.6f %.6f %.10g", total, total, acc[0])
	if err != nil || strings.TrimSpace(string(py)) != want {
		t.Errorf("python3 read the exports as %q (%v); want %q", py, err, want)
	}
}

type pageDoc struct {
	View struct {
		Sort    string
		Columns []string
	}
	Metrics []string
	Trials  struct {
		M [][]float64
	}
}

// pageData is the data embedded in a report page.
func pageData(t *testing.T, page string) pageDoc {
	t.Helper()
	m := regexp.MustCompile(`(?s)<script type="application/json" id="automl-data">(.*?)</script>`).FindStringSubmatch(page)
	var d pageDoc
	if m == nil || json.Unmarshal([]byte(html.UnescapeString(m[1])), &d) != nil {
		t.Fatalf("no page data in %.300s", page)
	}
	return d
}

// TestExportsOfARunningStudy: while a writer holds the study file (as a
// running automl search does), the exports read through its socket take
// the metric columns and give durations in seconds; then the same on the
// stopped study.
func TestExportsOfARunningStudy(t *testing.T) {
	dir := t.TempDir()
	st, _ := writeFixture(t, dir, reporttest.Options{Trials: 40, Seed: 6, Reports: true, Live: true}, true)
	check := func(when string) {
		out, errOut, code := automl(t, dir, "report", "fixture", "--format", "csv", "--columns", "trial,state,train_loss,duration_s", "--sort", "-train_loss")
		if code != 0 {
			t.Fatalf("%s: exit %d %s", when, code, errOut)
		}
		_, rows, get := readCSV(t, out)
		var losses []float64
		running := 0
		for _, r := range rows {
			if get(r, "state") == "running" {
				running++
			}
			if s := get(r, "train_loss"); s != "" {
				x, err := strconv.ParseFloat(s, 64)
				if err != nil {
					t.Fatalf("%s: train_loss %q", when, s)
				}
				losses = append(losses, x)
			}
			if s := get(r, "duration_s"); s != "" {
				if d, err := strconv.ParseFloat(s, 64); err != nil || d <= 0 || math.IsNaN(d) {
					t.Errorf("%s: duration_s %q", when, s)
				}
			}
		}
		if len(rows) != 40 || len(losses) < 10 || !descending(losses) || running == 0 {
			t.Errorf("%s: %d rows, %d running, train_loss %v", when, len(rows), running, losses)
		}
		out, _, code = automl(t, dir, "trials", "fixture", "--columns", "+train_loss", "--sort", "train_loss", "--top", "2")
		if code != 0 || !strings.Contains(strings.SplitN(out, "\n", 2)[0], "TRAIN_LOSS") {
			t.Errorf("%s: trials --columns +train_loss (exit %d):\n%s", when, code, out)
		}
	}
	check("running")
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	check("stopped")
}

// TestReportMetricColumnsInBrowser: in headless chromium the HTML
// leaderboard starts with the columns and the sort given (a metric besides
// the objective, a duration, a time), and without --columns shows every
// metric but not the times.
func TestReportMetricColumnsInBrowser(t *testing.T) {
	chromiumPath(t)
	dir := t.TempDir()
	writeFixture(t, dir, reporttest.Options{Trials: 60, Seed: 4, Reports: true}, false)
	if _, errOut, code := automl(t, dir, "report", "fixture", "-o", "picked.html", "--columns", "trial,val_loss,train_loss,duration_s,started,created", "--sort", "-train_loss"); code != 0 {
		t.Fatalf("report: exit %d %s", code, errOut)
	}
	if _, errOut, code := automl(t, dir, "report", "fixture", "-o", "default.html"); code != 0 {
		t.Fatalf("report: exit %d %s", code, errOut)
	}
	dom := dumpAndShoot(t, "file://"+filepath.Join(dir, "picked.html"), filepath.Join(t.TempDir(), "picked.png"), 1400, 3000)
	var heads []string
	for _, m := range regexp.MustCompile(`<th data-key="([^"]+)"`).FindAllStringSubmatch(dom, -1) {
		heads = append(heads, m[1])
	}
	if !slices.Equal(heads, []string{"trial", "val_loss", "train_loss", "duration", "started", "created"}) || !strings.Contains(dom, `<th data-key="train_loss" class="sorted desc">`) {
		t.Fatalf("leaderboard columns %v (sorted by train_loss descending?)", heads)
	}
	row := regexp.MustCompile(`<tr data-trial="\d+"[^>]*>(.*?)</tr>`)
	cell := regexp.MustCompile(`<td[^>]*>([^<]*)</td>`)
	var losses []float64
	empty, rows := false, 0
	for _, m := range row.FindAllStringSubmatch(dom, -1) {
		cells := cell.FindAllStringSubmatch(m[1], -1)
		if len(cells) != 6 {
			t.Fatalf("row %s", m[1])
		}
		rows++
		if cells[2][1] == "" {
			empty = true
			continue
		}
		x, err := strconv.ParseFloat(cells[2][1], 64)
		if err != nil || empty {
			t.Fatalf("train_loss %q after an empty one (%v)", cells[2][1], err)
		}
		losses = append(losses, x)
		if d := cells[3][1]; !strings.HasSuffix(d, "s") {
			t.Errorf("duration %q in people's form", d)
		}
		for _, c := range cells[4:] {
			if _, err := time.Parse(time.RFC3339, c[1]); err != nil {
				t.Errorf("started or created %q: %v", c[1], err)
			}
		}
	}
	if rows != 50 || len(losses) < 10 || !descending(losses) {
		t.Errorf("%d rows; train_loss %v: want descending", rows, losses)
	}
	dom = dumpAndShoot(t, "file://"+filepath.Join(dir, "default.html"), filepath.Join(t.TempDir(), "default.png"), 1400, 3000)
	if !strings.Contains(dom, `<th data-key="train_loss"`) || strings.Contains(dom, `<th data-key="started"`) || !strings.Contains(dom, `<th data-key="note"`) {
		t.Errorf("default leaderboard: want train_loss and note, not started:\n%s", regexp.MustCompile(`<thead>.*?</thead>`).FindString(dom))
	}
}

// TestSpaceVersionColumnInBrowser: an edited study's page has the
// space_version column its tables have: trials 0-2 under version 1, 3-5
// under version 2, sortable.
func TestSpaceVersionColumnInBrowser(t *testing.T) {
	chromiumPath(t)
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	text := "study: s\nobjective: {metric: loss, direction: minimize}\ntrainer: {plugin: funcs}\nparameters:\n  x: {type: float, low: 0, high: 10}\n"
	st := &scheduler.Study{Name: "s", Objective: trial.Objective{Metric: "loss", Direction: trial.Minimize}, Algorithm: "random", SpaceText: []byte(text), SpaceFile: "v2.yaml",
		SpaceVersions: []scheduler.SpaceVersion{{Version: 1, SpaceFile: "v1.yaml", SpaceText: text, Since: t0}, {Version: 2, SpaceFile: "v2.yaml", FirstTrial: 3, Since: t0.Add(time.Minute), Changes: []string{"x: high 5 → 10 (widened)"}}}}
	var recs []trial.Record
	for id := range 6 {
		recs = append(recs, trial.Record{ID: id, State: trial.Completed, Attempt: 1, Value: float64(id), HasValue: true, Created: t0,
			Started: t0.Add(time.Duration(id) * time.Second), Finished: t0.Add(time.Duration(id+1) * time.Second), Busy: time.Second,
			Params: value.Values{{Name: "x", Value: value.Float(float64(id))}}})
	}
	d := report.Build(report.Input{Study: st, Trials: recs, Now: t0.Add(time.Hour)})
	file := filepath.Join(t.TempDir(), "edited.html")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := report.WriteHTML(f, d, report.View{Columns: []string{"trial", "space_version"}, Sort: "-space_version"}, t0); err != nil {
		t.Fatal(err)
	}
	f.Close()
	dom := dumpAndShoot(t, "file://"+file, filepath.Join(t.TempDir(), "edited.png"), 1200, 2400)
	var got []string
	for _, m := range regexp.MustCompile(`<tr data-trial="(\d+)"[^>]*><td[^>]*>\d+</td><td[^>]*>(\d+)</td></tr>`).FindAllStringSubmatch(dom, -1) {
		got = append(got, m[1]+":v"+m[2])
	}
	if strings.Join(got, " ") != "3:v2 4:v2 5:v2 0:v1 1:v1 2:v1" {
		t.Errorf("rows by -space_version: %v", got)
	}
}
